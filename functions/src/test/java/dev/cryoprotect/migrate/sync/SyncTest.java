package dev.cryoprotect.migrate.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.cli.CliRun;
import dev.cryoprotect.migrate.testing.MigrationFiles;
import dev.cryoprotect.migrate.testing.TestConvex;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `migrate sync` from embedded PostgreSQL to the local Convex backend, checked document by document. */
class SyncTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path migrations;
    private String url;
    private Map<String, String> env;

    @BeforeEach
    void setUp() {
        url = TestPostgres.newDatabase();
        TestConvex.reset();
        env = TestConvex.environment();
    }

    private JsonNode sync(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("sync", "--database-url", url, "--migrations", migrations.toString(),
                "--format", "json"));
        all.addAll(List.of(args));
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = dev.cryoprotect.migrate.cli.CliAccess.run(all.toArray(String[]::new), env, out, err);
        JsonNode summary = JSON.readTree(out.toString());
        ((com.fasterxml.jackson.databind.node.ObjectNode) summary).put("exitCode", code);
        return summary;
    }

    private static JsonNode table(JsonNode summary, String name) {
        for (JsonNode t : summary.get("results")) {
            if (t.get("table").asText().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no result for " + name + " in " + summary);
    }

    private static List<Map<String, Object>> docs(String table, String sortField) {
        List<Map<String, Object>> docs = new ArrayList<>(TestConvex.documents(table));
        docs.sort(Comparator.comparing(d -> String.valueOf(d.get(sortField))));
        return docs;
    }

    @Test
    void everyMappedTypeRoundTripsFieldByField() throws Exception {
        TestPostgres.execute(url, """
                CREATE TABLE samples (
                  id int PRIMARY KEY, label text, code varchar(10), ref uuid, small int2, medium int4, big int8,
                  real4 float4, real8 float8, amount numeric(12,2), flag boolean, at timestamptz, local_at timestamp,
                  day date, doc jsonb, raw bytea, tags text[], nums int4[], empty_list text[], nothing text
                );
                INSERT INTO samples VALUES
                  (1, 'héllo ✓ 日本', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', -32768, 2147483647,
                   9007199254740992, 1.5, 'NaN', 12345.67, true, '2024-01-02T03:04:05.678Z', '2024-01-02 03:04:05.678',
                   '2024-01-02', '{"a": {"b": [1, 2, {"c": null}]}, "s": "x"}', '\\x00ff10', ARRAY['x', 'y'],
                   ARRAY[1, 2, 3], ARRAY[]::text[], NULL),
                  (2, '', NULL, NULL, 0, 0, -9007199254740992, '-Infinity', '-0'::float8, 0, false, NULL, NULL, NULL,
                   '[]', '\\x', ARRAY[]::text[], NULL, ARRAY[]::text[], NULL);
                """);
        JsonNode summary = sync("samples");
        assertEquals(0, summary.get("exitCode").asInt(), summary.toString());
        assertEquals(2, table(summary, "samples").get("inserted").asInt());

        List<Map<String, Object>> docs = docs("samples", "id");
        Map<String, Object> one = docs.get(0);
        assertEquals(1.0, one.get("id"));
        assertEquals("héllo ✓ 日本", one.get("label"));
        assertEquals("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", one.get("ref"));
        assertEquals(-32768.0, one.get("small"));
        assertEquals(2147483647.0, one.get("medium"));
        assertEquals(9007199254740992.0, one.get("big"));
        assertEquals(1.5, one.get("real4"));
        assertTrue(Double.isNaN((Double) one.get("real8")));
        assertEquals(12345.67, one.get("amount"));
        assertEquals(true, one.get("flag"));
        assertEquals(1704164645678.0, one.get("at"));
        assertEquals(1704164645678.0, one.get("local_at"));
        assertEquals(1704153600000.0, one.get("day"));
        assertEquals(java.util.Set.of("a", "s"), ((Map<?, ?>) one.get("doc")).keySet());
        assertEquals("x", ((Map<?, ?>) one.get("doc")).get("s"));
        assertEquals(Arrays.asList(1.0, 2.0, java.util.Collections.singletonMap("c", null)),
                ((Map<?, ?>) ((Map<?, ?>) one.get("doc")).get("a")).get("b"));
        assertArrayEquals(new byte[]{0, (byte) 0xff, 0x10}, (byte[]) one.get("raw"));
        assertEquals(List.of("x", "y"), one.get("tags"));
        assertEquals(List.of(1.0, 2.0, 3.0), one.get("nums"));
        assertEquals(List.of(), one.get("empty_list"));
        assertFalse(one.containsKey("nothing"), "NULL omits the field");

        Map<String, Object> two = docs.get(1);
        assertEquals("", two.get("label"));
        assertFalse(two.containsKey("code"));
        assertEquals(-9007199254740992.0, two.get("big"));
        assertEquals(Double.NEGATIVE_INFINITY, two.get("real4"));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits((Double) two.get("real8")));
        assertEquals(List.of(), two.get("doc"));
        assertArrayEquals(new byte[0], (byte[]) two.get("raw"));

        JsonNode again = sync("samples");
        assertEquals(2, table(again, "samples").get("unchanged").asInt(), "a re-run changes nothing");
        assertEquals(2, TestConvex.documents("samples").size(), "and duplicates nothing");
    }

    @Test
    void theDeclaredSchemaDecidesInt64AndNumericAsStringAndOmitsUndeclaredColumns() throws Exception {
        new MigrationFiles(migrations).write("001_ledger.json", """
                {"version": "001", "schema": {"ledger": {"id": "int64", "total": "string", "note": "string|null"}}}
                """);
        TestPostgres.execute(url, "CREATE TABLE ledger (id int8 PRIMARY KEY, total numeric, note text, internal text);"
                + " INSERT INTO ledger VALUES (9223372036854775807, 0.1000000000000000055511151231257827, NULL, 'x')");
        JsonNode summary = sync();
        assertEquals(0, summary.get("exitCode").asInt(), summary.toString());
        assertEquals(List.of("internal"), JSON.convertValue(table(summary, "ledger").get("skippedColumns"), List.class));
        Map<String, Object> doc = TestConvex.documents("ledger").get(0);
        assertEquals(Long.MAX_VALUE, doc.get("id"));
        assertEquals("0.1000000000000000055511151231257827", doc.get("total"));
        assertTrue(doc.containsKey("note") && doc.get("note") == null, "null where the schema allows null");
        assertFalse(doc.containsKey("internal"));
    }

    @Test
    void updatesAndDeletesReachConvexIncrementallyAndWithPrune() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE items (id int PRIMARY KEY, name text, updated_at timestamptz NOT NULL);"
                + " INSERT INTO items SELECT g, 'item ' || g, '2024-01-01'::timestamptz + g * interval '1 minute'"
                + " FROM generate_series(1, 1200) g");
        JsonNode first = sync("items", "--batch-rows", "100");
        assertEquals(1200, table(first, "items").get("inserted").asInt(), first.toString());
        assertEquals("updated_at", table(first, "items").get("cursorColumn").asText());

        TestPostgres.execute(url, "UPDATE items SET name = 'renamed', updated_at = '2025-01-01' WHERE id IN (5, 600);"
                + " DELETE FROM items WHERE id IN (7, 8, 9)");
        JsonNode incremental = sync("items", "--prune");
        JsonNode t = table(incremental, "items");
        assertEquals(2, t.get("read").asInt(), "only rows changed since the mark are read: " + t);
        assertEquals(2, t.get("updated").asInt());
        assertEquals(3, t.get("deleted").asInt());
        List<Map<String, Object>> docs = TestConvex.documents("items");
        assertEquals(1197, docs.size());
        assertEquals(2, docs.stream().filter(d -> "renamed".equals(d.get("name"))).count());
        assertTrue(docs.stream().noneMatch(d -> d.get("id").equals(7.0)));

        JsonNode quiet = sync("items", "--prune");
        assertEquals(0, table(quiet, "items").get("read").asInt());
        assertEquals(0, table(quiet, "items").get("deleted").asInt());
    }

    /** A default cursor (updated_at) without an index makes each page of a large table a full sort: the run says so. */
    @Test
    void aLargeTableWhoseCursorNoIndexStartsWithGetsANoteNamingTheIndexToCreate() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE events (id bigint PRIMARY KEY, updated_at timestamptz NOT NULL);"
                + " INSERT INTO events SELECT g, now() - g * interval '1 second' FROM generate_series(1, 250000) g;"
                + " CREATE INDEX events_id_then_time ON events (id, updated_at); ANALYZE events");
        JsonNode slow = table(sync("events", "--dry-run", "--limit", "10"), "events");
        assertEquals(10, slow.get("read").asInt());
        assertEquals(1, slow.get("notes").size(), slow.toString());
        String note = slow.get("notes").get(0).asText();
        assertTrue(note.startsWith("no index starts with the cursor column updated_at, so each page of 50,000 rows scans"
                + " and sorts all of the table's ~250,000 rows"), note);
        assertTrue(note.endsWith("CREATE INDEX CONCURRENTLY ON \"public\".\"events\" (\"updated_at\", \"id\")"), note);

        TestPostgres.execute(url, "CREATE INDEX events_by_time ON events (updated_at, id)");
        assertEquals(0, table(sync("events", "--dry-run", "--limit", "10"), "events").get("notes").size());
        TestPostgres.execute(url, "CREATE TABLE small (id int PRIMARY KEY, updated_at timestamptz);"
                + " INSERT INTO small SELECT g, now() FROM generate_series(1, 1000) g; ANALYZE small");
        assertEquals(0, table(sync("small", "--dry-run"), "small").get("notes").size(), "a small table sorts fast");
    }

    /** A dry run compares with what Convex holds: it counts what the sync would insert, update, leave and prune. */
    @Test
    void aDryRunCountsWhatTheSyncWouldDoAndWritesNothing() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE teams (id int PRIMARY KEY, name text);"
                + " INSERT INTO teams SELECT g, 'team ' || g FROM generate_series(1, 1200) g");
        assertEquals(1200, table(sync("teams"), "teams").get("inserted").asInt());
        TestPostgres.execute(url, "INSERT INTO teams VALUES (5000, 'new'); UPDATE teams SET name = 'renamed' WHERE id <= 3;"
                + " DELETE FROM teams WHERE id BETWEEN 1001 AND 1010");

        JsonNode dry = sync("teams", "--dry-run", "--prune");
        JsonNode teams = table(dry, "teams");
        assertEquals(List.of(1, 3, 1187, 10), List.of(teams.get("inserted").asInt(), teams.get("updated").asInt(),
                teams.get("unchanged").asInt(), teams.get("deleted").asInt()), teams.toString());
        assertEquals(0, teams.get("notes").size(), teams.toString());
        assertEquals(1200, TestConvex.documents("teams").size(), "a dry run writes nothing");
        assertTrue(TestConvex.documents("teams").stream().noneMatch(d -> "renamed".equals(d.get("name"))));

        JsonNode real = table(sync("teams", "--prune"), "teams");
        assertEquals(List.of(1, 3, 1187, 10), List.of(real.get("inserted").asInt(), real.get("updated").asInt(),
                real.get("unchanged").asInt(), real.get("deleted").asInt()), "the sync did what its dry run said");

        // Convex answering no one: a socket that takes each connection and drops it, counting them. The dry run of two
        // tables finds it unreachable once, says so for each table, and does not wait out the retries a second time.
        TestPostgres.execute(url, "CREATE TABLE events (id int PRIMARY KEY, updated_at timestamptz);"
                + " INSERT INTO events SELECT g, now() FROM generate_series(1, 5) g");
        try (java.net.ServerSocket dropping = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
            Thread acceptor = new Thread(() -> {
                while (!dropping.isClosed()) {
                    try (java.net.Socket ignored = dropping.accept()) {
                        connections.incrementAndGet();
                    } catch (java.io.IOException closed) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Map<String, String> unreachable = new java.util.HashMap<>(env);
            unreachable.put("CONVEX_URL", "http://127.0.0.1:" + dropping.getLocalPort());
            java.io.StringWriter json = new java.io.StringWriter();
            int exit = dev.cryoprotect.migrate.cli.CliAccess.run(new String[] {"sync", "teams", "events", "--dry-run",
                    "--format", "json", "--database-url", url, "--migrations", migrations.toString()}, unreachable, json,
                    new java.io.StringWriter());
            assertEquals(0, exit, json.toString());
            for (String table : List.of("teams", "events")) {
                JsonNode result = table(JSON.readTree(json.toString()), table);
                String note = result.get("notes").get(0).asText();
                assertTrue(note.startsWith("could not ") && note.contains("(cannot reach Convex at http://127.0.0.1:")
                        && !note.contains("Deploy convex/ again"), result.toString());
                assertTrue(result.get("error").isNull(), "a dry run needs no Convex: " + result);
            }
            int firstQuestion = connections.get();
            assertTrue(firstQuestion > 1, "the client retried the first question: " + firstQuestion);
            java.io.StringWriter again = new java.io.StringWriter();
            dev.cryoprotect.migrate.cli.CliAccess.run(new String[] {"sync", "teams", "--dry-run", "--format", "json",
                    "--database-url", url, "--migrations", migrations.toString()}, unreachable, again,
                    new java.io.StringWriter());
            assertEquals(2 * firstQuestion, connections.get(), "two tables cost the retries of one question, as one"
                    + " table does");
        }

        Map<String, String> noConvex = new java.util.HashMap<>(env);
        noConvex.put("USE_CONVEX", "false");
        java.io.StringWriter out = new java.io.StringWriter();
        int code = dev.cryoprotect.migrate.cli.CliAccess.run(new String[] {"sync", "teams", "--dry-run", "--database-url",
                url, "--migrations", migrations.toString()}, noConvex, out, new java.io.StringWriter());
        assertEquals(0, code, out.toString());
        assertTrue(out.toString().startsWith("[dry run] 1191 rows read, 1191 would sync, 0 failed"), out.toString());
        assertTrue(out.toString().contains("note: no Convex deployment to compare with"), out.toString());
    }

    /**
     * public.people and app.people both map to Convex's people: the second is refused, not mixed in. A cursor moved to
     * another column does not reuse the old column's mark (its values say nothing about the new column's).
     */
    @Test
    void oneNameInTwoSchemasIsRefusedAndANewCursorColumnReadsEveryRowOnce() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE people (id int PRIMARY KEY, name text, updated_at timestamptz,"
                + " modified_at timestamptz); INSERT INTO people VALUES (1, 'public one', '2030-01-01', '2025-01-01');"
                + " CREATE SCHEMA app; CREATE TABLE app.people (id int PRIMARY KEY, name text, updated_at timestamptz);"
                + " INSERT INTO app.people VALUES (1, 'app one', '2024-01-01'), (3, 'app three', '2024-01-01')");
        assertEquals(1, table(sync("people"), "people").get("inserted").asInt());
        JsonNode other = sync("people", "--schema", "app", "--prune");
        assertEquals(1, other.get("exitCode").asInt(), other.toString());
        assertTrue(table(other, "people").get("error").asText().startsWith("Convex table 'people' holds the rows of"
                + " public.people; syncing app.people into it would overwrite them"), other.toString());
        assertEquals(List.of("public one"), docs("people", "id").stream().map(d -> d.get("name")).toList());

        // Row 2's updated_at is below the stored mark (2030); its modified_at is the newest.
        TestPostgres.execute(url, "INSERT INTO people VALUES (2, 'two', '2020-01-01', '2026-01-01')");
        JsonNode switched = table(sync("people", "--cursor", "people=modified_at"), "people");
        assertEquals(List.of(1, 1), List.of(switched.get("inserted").asInt(), switched.get("unchanged").asInt()),
                switched.toString());
        assertTrue(switched.get("notes").toString().contains("the cursor is now modified_at, the stored mark was taken"
                + " on updated_at"), switched.toString());
        assertEquals(0, table(sync("people", "--cursor", "people=modified_at"), "people").get("read").asInt(),
                "the new column's mark holds from then on");
        assertEquals(List.of("public one", "two"), docs("people", "id").stream().map(d -> d.get("name")).toList());
    }

    /**
     * A transaction stamps its row, then commits after a sync read past it: the mark stayed behind the clock, so the
     * next sync finds it. A row stamped 'infinity' does not hold the mark at infinity. Without the margin, the row
     * is lost (the behaviour before it).
     */
    @Test
    void aRowCommittedLateIsFoundByTheNextSyncAndInfinityDoesNotFreezeTheMark() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE late (id int PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now());"
                + " INSERT INTO late VALUES (1, now() - interval '1 hour')");
        try (java.sql.Connection open = java.sql.DriverManager.getConnection(url)) {
            open.setAutoCommit(false);
            open.createStatement().execute("INSERT INTO late (id) VALUES (2)"); // stamped now, committed later
            TestPostgres.execute(url, "INSERT INTO late (id) VALUES (3); INSERT INTO late VALUES (4, 'infinity')");
            assertEquals(3, table(sync("late"), "late").get("inserted").asInt());
            open.commit();
        }
        TestPostgres.execute(url, "INSERT INTO late (id) VALUES (5)");
        JsonNode next = table(sync("late"), "late");
        assertEquals(List.of(2, 2), List.of(next.get("inserted").asInt(), next.get("unchanged").asInt()),
                "2 (committed late) and 5 (after infinity) inserted; 3 and 4, read again, unchanged: " + next);
        assertEquals(5, TestConvex.documents("late").size());

        TestPostgres.execute(url, "CREATE TABLE lost (id int PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now())");
        try (java.sql.Connection open = java.sql.DriverManager.getConnection(url)) {
            open.setAutoCommit(false);
            open.createStatement().execute("INSERT INTO lost (id) VALUES (1)");
            TestPostgres.execute(url, "INSERT INTO lost (id) VALUES (2)");
            sync("lost", "--lookback-seconds", "0");
            open.commit();
        }
        assertEquals(0, table(sync("lost", "--lookback-seconds", "0"), "lost").get("read").asInt(), "no margin: lost");

        // A mark stored past the clock (at infinity, with no margin) is not kept: the next sync reads every row once.
        TestPostgres.execute(url, "CREATE TABLE frozen (id int PRIMARY KEY, updated_at timestamptz NOT NULL);"
                + " INSERT INTO frozen VALUES (1, 'infinity')");
        sync("frozen", "--lookback-seconds", "0");
        TestPostgres.execute(url, "INSERT INTO frozen VALUES (2, now() - interval '1 hour')");
        JsonNode thawed = table(sync("frozen"), "frozen");
        assertEquals(1, thawed.get("inserted").asInt(), thawed.toString());
        assertTrue(thawed.get("notes").toString().contains("the stored mark (updated_at infinity) is past the"
                + " database's clock"), thawed.toString());
    }

    /** A rejected row retried by key and read again by the pass is written (or rejected) and counted once a run. */
    @Test
    void aRetriedRowReadAgainByThePassIsCountedOnce() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE counted (id int PRIMARY KEY, n int8); INSERT INTO counted VALUES (1, 1),"
                + " (2, 1152921504606846976), (3, 3)");
        sync("counted");
        for (int run = 0; run < 2; run++) {
            JsonNode summary = sync("counted");
            JsonNode t = table(summary, "counted");
            assertEquals(List.of(3, 1, 1, 1), List.of(t.get("read").asInt(), t.get("rejected").asInt(),
                    t.get("rejections").size(), t.get("pendingRejected").asInt()), summary.toString());
            assertEquals(summary.get("total_count").asInt(), summary.get("success_count").asInt()
                    + summary.get("failure_count").asInt(), summary.toString());
        }
        TestPostgres.execute(url, "UPDATE counted SET n = 2 WHERE id = 2");
        JsonNode fixed = sync("counted");
        JsonNode t = table(fixed, "counted");
        assertEquals(List.of(3, 1, 2, 0), List.of(t.get("read").asInt(), t.get("inserted").asInt(),
                t.get("unchanged").asInt(), t.get("rejected").asInt()), fixed.toString());
        assertEquals(List.of(3, 3, 0), List.of(fixed.get("total_count").asInt(), fixed.get("success_count").asInt(),
                fixed.get("failure_count").asInt()), fixed.toString());
    }

    /** Convex takes only printable ASCII in field names: the dry run says so exactly as the sync does. */
    @Test
    void aNonAsciiFieldNameIsRefusedAlikeByTheDryRunAndTheSync() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE accented (id int PRIMARY KEY, \"prénom\" text);"
                + " INSERT INTO accented VALUES (1, 'a'); CREATE TABLE keyed (id int PRIMARY KEY, doc jsonb);"
                + " INSERT INTO keyed VALUES (1, '{\"ké\": 1}'), (2, '{\"k\": {\"é\\u0301\": 2}}'), (3, '{\"k\": 3}')");
        for (String dryRun : List.of("--dry-run", "--batch-rows=500")) {
            JsonNode summary = sync("accented", "keyed", dryRun);
            assertEquals(1, summary.get("exitCode").asInt(), summary.toString());
            assertTrue(table(summary, "accented").get("error").asText().contains("column field name 'prénom' has the"
                    + " character 'é': Convex allows only printable ASCII in field names"), summary.toString());
            JsonNode keyed = table(summary, "keyed");
            assertEquals(2, keyed.get("rejected").asInt(), summary.toString());
            assertTrue(keyed.get("rejections").get(0).get("reason").asText().contains("field 'doc.ké' has the"
                    + " character 'é'"), summary.toString());
        }
        assertEquals(1, TestConvex.documents("keyed").size());
    }

    /**
     * Convex's limits by Convex's measure: 900 KB of bytea (1.2 MB as base64) is stored; a jsonb nested 16 levels
     * (17 with the document) is not, and the dry run says so as the sync does. The local backend checks neither.
     */
    @Test
    void documentLimitsAreConvexsOwnMeasureInTheDryRunAndTheSync() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE blobs (id int PRIMARY KEY, data bytea, doc jsonb);"
                + " INSERT INTO blobs VALUES (1, decode(repeat('ab', 900000), 'hex'), '{}'),"
                + " (2, NULL, '" + "[".repeat(14) + "{\"k\": 1}" + "]".repeat(14) + "'),"
                + " (3, NULL, '" + "[".repeat(15) + "{\"k\": 1}" + "]".repeat(15) + "')");
        for (String run : List.of("--dry-run", "--batch-rows=500")) {
            JsonNode blobs = table(sync("blobs", run), "blobs");
            assertEquals(1, blobs.get("rejected").asInt(), blobs.toString());
            assertEquals("[\"3\"]", blobs.get("rejections").get(0).get("key").asText(), blobs.toString());
            assertTrue(blobs.get("rejections").get(0).get("reason").asText().contains("the document nests 17 levels"
                    + " deep; Convex stores at most 16"), blobs.toString());
        }
        List<Map<String, Object>> docs = docs("blobs", "id");
        assertEquals(2, docs.size());
        assertEquals(900_000, ((byte[]) docs.get(0).get("data")).length);
    }

    /**
     * The machine's time zone changes nothing: a timestamptz key is the same key from Paris (no second document of
     * each row), and a partition's rows are synced once, as its partitioned table's.
     */
    @Test
    void keysDoNotDependOnTheTimeZoneAndPartitionsAreSyncedOnceAsTheirTable() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE stamped (at timestamptz PRIMARY KEY, v text);"
                + " INSERT INTO stamped SELECT timestamptz '2024-01-01 00:00+00' + g * interval '1 hour', 'v' || g"
                + " FROM generate_series(1, 5) g;"
                + " CREATE TABLE regions (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);"
                + " CREATE TABLE regions_eu PARTITION OF regions FOR VALUES IN ('eu');"
                + " CREATE TABLE regions_us PARTITION OF regions FOR VALUES IN ('us');"
                + " INSERT INTO regions SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END FROM generate_series(1, 10) g");
        assertEquals(5, table(sync("stamped"), "stamped").get("inserted").asInt());
        java.util.TimeZone zone = java.util.TimeZone.getDefault();
        try {
            java.util.TimeZone.setDefault(java.util.TimeZone.getTimeZone("Europe/Paris"));
            JsonNode paris = table(sync("stamped", "--prune"), "stamped");
            assertEquals(List.of(0, 5, 0), List.of(paris.get("inserted").asInt(), paris.get("unchanged").asInt(),
                    paris.get("deleted").asInt()), paris.toString());
        } finally {
            java.util.TimeZone.setDefault(zone);
        }
        assertEquals(5, TestConvex.documents("stamped").size());

        JsonNode all = sync(); // every table of the schema
        List<String> synced = new ArrayList<>();
        all.get("results").forEach(t -> synced.add(t.get("table").asText()));
        assertTrue(synced.contains("regions") && !synced.contains("regions_eu") && !synced.contains("regions_us"),
                synced.toString());
        assertEquals(10, TestConvex.documents("regions").size());
    }

    /**
     * Rows without a cursor value are read by key on every sync; a --limit that stops among them is continued by the
     * next sync, not started over, and the rows with a cursor value come after.
     */
    @Test
    void rowsWithoutACursorValueAreContinuedAfterALimit() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE unstamped (id int PRIMARY KEY, v text, updated_at timestamptz);"
                + " INSERT INTO unstamped SELECT g, 'v' || g, CASE WHEN g > 25 THEN now() - interval '1 day' END"
                + " FROM generate_series(1, 30) g");
        List<Integer> inserted = new ArrayList<>();
        for (int run = 0; run < 3; run++) {
            inserted.add(table(sync("unstamped", "--limit", "10"), "unstamped").get("inserted").asInt());
        }
        assertEquals(List.of(10, 10, 10), inserted, "each run went on where the last stopped");
        assertEquals(30, TestConvex.documents("unstamped").size());
        JsonNode again = table(sync("unstamped"), "unstamped");
        assertEquals(List.of(0, 25), List.of(again.get("inserted").asInt(), again.get("unchanged").asInt()),
                "a finished pass starts over: rows without a cursor value are read again, the others are behind the"
                        + " mark: " + again);
    }

    /** A cursor column whose type changed: the old mark cannot be read as the new type, so the sync starts over once. */
    @Test
    void aCursorWhoseTypeChangedReadsEveryRowOnceInsteadOfFailingEveryRun() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE retyped (id int PRIMARY KEY, v text, updated_at timestamptz);"
                + " INSERT INTO retyped SELECT g, 'v' || g, now() - interval '1 day' FROM generate_series(1, 5) g");
        assertEquals(5, table(sync("retyped"), "retyped").get("inserted").asInt());
        TestPostgres.execute(url, "ALTER TABLE retyped ALTER COLUMN updated_at TYPE bigint"
                + " USING extract(epoch FROM updated_at)::bigint");
        JsonNode after = sync("retyped");
        assertEquals(0, after.get("exitCode").asInt(), after.toString());
        JsonNode retyped = table(after, "retyped");
        assertEquals(5, retyped.get("updated").asInt(), "updated_at is a number now: " + retyped);
        assertTrue(retyped.get("notes").toString().contains("does not read as the columns' types now"), retyped.toString());
        JsonNode next = table(sync("retyped"), "retyped");
        assertEquals(List.of(0, 0), List.of(next.get("read").asInt(), next.get("notes").size()),
                "the new mark is in the new type: " + next);
    }

    /** An unreachable Convex stops the sync at the first table, exit 4, not after every table's retries. */
    @Test
    void anUnreachableConvexStopsTheSyncAtOnceWithExitFour() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE a1 (id int PRIMARY KEY); CREATE TABLE a2 (id int PRIMARY KEY);"
                + " CREATE TABLE a3 (id int PRIMARY KEY); INSERT INTO a1 VALUES (1); INSERT INTO a2 VALUES (1)");
        Map<String, String> saved = env;
        env = new java.util.HashMap<>(env);
        env.put("CONVEX_URL", "http://127.0.0.1:1");
        try {
            java.io.StringWriter out = new java.io.StringWriter();
            java.io.StringWriter err = new java.io.StringWriter();
            int code = dev.cryoprotect.migrate.cli.CliAccess.run(new String[]{"sync", "a1", "a2", "a3", "--database-url",
                    url, "--migrations", migrations.toString()}, env, out, err);
            assertEquals(4, code, out + "\n" + err);
            assertTrue(err.toString().contains("cannot reach Convex at http://127.0.0.1:1"), err.toString());
            assertEquals(1, err.toString().split("cannot reach Convex", -1).length - 1, "said once: " + err);
        } finally {
            env = saved;
        }
    }

    /** Documents a migration put in a table before its first sync cannot be matched to rows: the sync says so. */
    @Test
    void aFirstSyncIntoATableThatAlreadyHoldsDocumentsSaysTheyMayBeDuplicated() throws Exception {
        MigrationFiles files = new MigrationFiles(migrations);
        files.write("001_seed.json", "{\"version\": \"001\", \"schema\": {\"staff\": {\"id\": \"number?\","
                + " \"name\": \"string\"}}, \"data\": [{\"type\": \"insert\", \"table\": \"staff\","
                + " \"data\": {\"name\": \"admin\"}}]}");
        CliRun applied = CliRun.of(env, "apply", "--database", "convex", "--migrations", migrations.toString());
        assertEquals(0, applied.exitCode(), applied.toString());
        TestPostgres.execute(url, "CREATE TABLE staff (id int PRIMARY KEY, name text); INSERT INTO staff VALUES (1, 'admin')");
        for (String run : List.of("--dry-run", "--batch-rows=500")) {
            JsonNode staff = table(sync("staff", run), "staff");
            assertTrue(staff.get("notes").toString().contains("Convex's staff already held 1 document(s) no sync wrote"),
                    staff.toString());
        }
        assertEquals(0, table(sync("staff"), "staff").get("notes").size(), "said once, at the first sync");
    }

    @Test
    void compositeKeysLimitAndDryRun() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE memberships (team text, member int, role text, PRIMARY KEY (team, member));"
                + " INSERT INTO memberships SELECT 't' || (g % 3), g, 'r' FROM generate_series(1, 50) g");
        JsonNode dry = sync("memberships", "--dry-run");
        assertEquals(50, table(dry, "memberships").get("read").asInt());
        assertEquals("r", table(dry, "memberships").get("sample").get("role").asText());
        assertEquals(0, TestConvex.documents("memberships").size(), "a dry run writes nothing");

        JsonNode limited = sync("memberships", "--limit", "20");
        assertEquals(20, table(limited, "memberships").get("inserted").asInt());
        assertEquals(List.of("memberships"), JSON.convertValue(limited.get("remaining"), List.class),
                "rows are left: " + limited);
        JsonNode rest = sync("memberships");
        assertEquals(List.of(30, 30, 0), List.of(table(rest, "memberships").get("read").asInt(),
                table(rest, "memberships").get("inserted").asInt(), table(rest, "memberships").get("unchanged").asInt()),
                "the next sync continued where the limit stopped: " + rest);
        assertTrue(rest.get("done").asBoolean(), rest.toString());
        assertEquals(50, TestConvex.documents("memberships").size());
        assertEquals(50, table(sync("memberships"), "memberships").get("unchanged").asInt(), "then a whole pass again");
    }

    @Test
    void badTablesAndUnmappableValuesAreReportedWhileTheRestSyncs() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE no_key (a int); INSERT INTO no_key VALUES (1);"
                + " CREATE TABLE big_numbers (id int PRIMARY KEY, n int8, payload jsonb);"
                + " INSERT INTO big_numbers VALUES (1, 42, '{}'), (2, 9007199254740993, '{}'), (3, 1, '{\"$bad\": 1}'),"
                + " (4, 2, '{\"ok\": true}')");
        JsonNode hostile = sync("no_key", "big_numbers", "no_such_table\"; DROP TABLE big_numbers; --");
        assertEquals(2, hostile.get("exitCode").asInt(), "an unknown table is bad input, before anything runs");
        assertTrue(hostile.get("error").get("message").asText().contains("no table no_such_table"), hostile.toString());
        assertEquals(0, TestConvex.documents("big_numbers").size());

        JsonNode summary = sync("no_key", "big_numbers");
        assertEquals(1, summary.get("exitCode").asInt());
        assertTrue(table(summary, "no_key").get("error").asText().contains("has no primary key"), summary.toString());
        JsonNode big = table(summary, "big_numbers");
        assertEquals(2, big.get("inserted").asInt());
        assertEquals(2, big.get("rejected").asInt());
        assertEquals(2, big.get("pendingRejected").asInt());
        assertEquals("[\"2\"]", big.get("rejections").get(0).get("key").asText());
        assertTrue(big.get("rejections").get(0).get("reason").asText().contains("declare the field \"int64\""));
        assertTrue(big.get("rejections").get(1).get("reason").asText().contains("$bad"));
        assertEquals(3, summary.get("failure_count").asInt(), "2 rows pending and 1 table");
        assertEquals(4, TestPostgres.query(url, "SELECT count(*) FROM big_numbers").stream().mapToInt(Integer::parseInt).sum(),
                "the hostile name was never pasted into SQL");
    }

    @Test
    void aRejectedRowIsKeptAndRetriedUntilItSyncsOrIsGone() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE accounts (id int PRIMARY KEY, balance int8, updated_at timestamptz NOT NULL);"
                + " INSERT INTO accounts VALUES (1, 10, '2024-01-01'), (2, 9007199254740993, '2024-01-02'),"
                + " (3, 30, '2024-01-03'), (4, 9007199254740995, '2024-01-04')");
        JsonNode first = sync("accounts");
        assertEquals(1, first.get("exitCode").asInt(), first.toString());
        assertEquals(2, table(first, "accounts").get("pendingRejected").asInt());

        // The high-water mark is past rows 2 and 4; before, the next run reported nothing and they never synced.
        JsonNode second = sync("accounts");
        assertEquals(1, second.get("exitCode").asInt(), "still pending, still failing: " + second);
        assertEquals(2, table(second, "accounts").get("pendingRejected").asInt());
        assertEquals(2, table(second, "accounts").get("read").asInt(), "nothing new past the mark: only the two"
                + " rejected rows, read again by key");

        CliRun listed = CliRun.of(env, "sync", "--rejections", "--database-url", url, "--migrations",
                migrations.toString(), "--format", "json");
        assertEquals(0, listed.exitCode(), listed.toString());
        JsonNode rejections = JSON.readTree(listed.out());
        assertEquals(List.of("[\"2\"]", "[\"4\"]"), List.of(rejections.get(0).get("key").asText(),
                rejections.get(1).get("key").asText()));
        assertTrue(rejections.get(0).get("reason").asText().contains("int64"), rejections.toString());
        // ISO instants, compared as instants: as text "...:01Z" (no millis shown when they are 0) sorts after
        // "...:01.500Z".
        java.time.Instant firstSeen = java.time.Instant.parse(rejections.get(0).get("firstSeen").asText());
        assertFalse(java.time.Instant.parse(rejections.get(0).get("lastSeen").asText()).isBefore(firstSeen),
                rejections.toString());

        // Fixed in place (updated_at untouched, so only the retry finds it), and the other row deleted.
        TestPostgres.execute(url, "UPDATE accounts SET balance = 20 WHERE id = 2; DELETE FROM accounts WHERE id = 4");
        JsonNode third = sync("accounts");
        assertEquals(0, third.get("exitCode").asInt(), third.toString());
        assertEquals(0, table(third, "accounts").get("pendingRejected").asInt());
        assertEquals(List.of(10.0, 20.0, 30.0), docs("accounts", "id").stream().map(d -> ((Number) d.get("balance"))
                .doubleValue()).toList());
        CliRun none = CliRun.of(env, "sync", "--rejections", "--database-url", url, "--migrations", migrations.toString());
        assertTrue(none.out().contains("no rejected rows"), none.toString());
    }

    @Test
    void aPruningSyncInProductionSaysWhatItWouldDeleteAndWaitsForYes() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE notes (id int PRIMARY KEY, body text);"
                + " INSERT INTO notes VALUES (1, 'a'), (2, 'b'), (3, 'c')");
        assertEquals(0, sync("notes").get("exitCode").asInt());
        TestPostgres.execute(url, "DELETE FROM notes WHERE id IN (1, 2)");
        Map<String, String> production = new java.util.HashMap<>(env);
        production.put("MIGRATE_PRODUCTION", "true");
        CliRun refused = CliRun.of(production, "sync", "notes", "--prune", "--database-url", url, "--migrations",
                migrations.toString());
        assertEquals(2, refused.exitCode(), refused.toString());
        assertTrue(refused.err().contains("It would: delete 2 Convex document(s) of notes whose rows are gone"),
                refused.err());
        assertEquals(3, TestConvex.documents("notes").size(), "nothing deleted");
        CliRun confirmed = CliRun.of(production, "sync", "notes", "--prune", "--yes", "--database-url", url,
                "--migrations", migrations.toString());
        assertEquals(0, confirmed.exitCode(), confirmed.toString());
        assertEquals(1, TestConvex.documents("notes").size());
    }

    @Test
    void badOptionsAreBadInputNamingWhatIsWrong() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE items (id int PRIMARY KEY, meta json, updated_at timestamptz);"
                + " CREATE TABLE others (id int PRIMARY KEY)");
        Map<String, String[]> cases = new java.util.LinkedHashMap<>();
        cases.put("schema 'nope' does not exist", new String[]{"--schema", "nope"});
        cases.put("no table missing in schema 'public' (it has: items, others)", new String[]{"missing"});
        cases.put("--cursor others=id names a table this sync does not include (items)",
                new String[]{"items", "--cursor", "others=id"});
        cases.put("cursor column 'nope' does not exist in table 'items'", new String[]{"items", "--cursor", "items=nope"});
        cases.put("cursor column 'meta' of table 'items' is of type json, which PostgreSQL cannot order",
                new String[]{"items", "--cursor", "items=meta"});
        for (Map.Entry<String, String[]> c : cases.entrySet()) {
            JsonNode result = sync(c.getValue());
            assertEquals(2, result.get("exitCode").asInt(), c.getKey() + ": " + result);
            assertTrue(result.get("error").get("message").asText().contains(c.getKey()), result.toString());
        }
        assertEquals(0, TestConvex.documents("items").size());
    }

    @Test
    void aKilledSyncResumesAndEndsEqualToTheSource() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE events (id int PRIMARY KEY, body text, updated_at timestamptz NOT NULL);"
                + " INSERT INTO events SELECT g, repeat('x', 200), '2024-01-01'::timestamptz + g * interval '1 second'"
                + " FROM generate_series(1, 4000) g");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.cryoprotect.migrate.app.Main", "sync", "events",
                "--database-url", url, "--migrations", migrations.toString(), "--batch-rows", "50", "--in-flight", "2",
                "--progress", "json"));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Process process = pb.start();
        int batches = 0;
        try (BufferedReader progress = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line = progress.readLine(); line != null && batches < 10; line = progress.readLine()) {
                if (line.contains("\"sync_progress\"")) {
                    batches++;
                }
            }
            process.destroyForcibly(); // SIGKILL mid-run: batches in flight either committed or not
            assertTrue(process.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(10, batches, "the sync was running when it was killed");
        int before = TestConvex.documents("events").size();
        assertTrue(before >= 500 && before < 4000, "killed part-way: " + before);

        JsonNode resumed = sync("events");
        assertEquals(0, resumed.get("exitCode").asInt(), resumed.toString());
        assertTrue(table(resumed, "events").get("read").asInt() < 4000, "resumed from the stored mark: " + resumed);
        List<Map<String, Object>> docs = TestConvex.documents("events");
        assertEquals(4000, docs.size(), "no row lost, none duplicated");
        assertEquals(4000, docs.stream().map(d -> d.get("id")).distinct().count());
        assertNull(table(resumed, "events").get("error").textValue());
    }

    /** kill -9 at random points of a 100,000-row sync, three times, then a rerun: every row once, none twice. */
    @Test
    void killNineAtRandomPointsOfALargeSyncThenARerunEndsExact() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE readings (id int PRIMARY KEY, v double precision, note text,"
                + " updated_at timestamptz NOT NULL); INSERT INTO readings SELECT g, g * 0.5, 'n' || g,"
                + " '2024-01-01'::timestamptz + (g % 5000) * interval '1 second' FROM generate_series(1, 100000) g");
        java.util.Random random = new java.util.Random(1125);
        for (int kill = 0; kill < 3; kill++) {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-cp", System.getProperty("java.class.path"), "dev.cryoprotect.migrate.app.Main", "sync",
                    "readings", "--database-url", url, "--migrations", migrations.toString(), "--progress", "json"));
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().putAll(env);
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
            Process process = pb.start();
            int wanted = 1 + random.nextInt(30);
            int batches = 0;
            try (BufferedReader progress = new BufferedReader(new InputStreamReader(process.getErrorStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = progress.readLine(); line != null && batches < wanted; line = progress.readLine()) {
                    if (line.contains("\"sync_progress\"")) {
                        batches++;
                    }
                }
                process.destroyForcibly();
                assertTrue(process.waitFor(30, TimeUnit.SECONDS));
            }
        }
        JsonNode rerun = sync("readings");
        assertEquals(0, rerun.get("exitCode").asInt(), rerun.toString());
        List<Map<String, Object>> docs = TestConvex.documents("readings");
        assertEquals(100000, docs.size(), "no row lost");
        assertEquals(100000, docs.stream().map(d -> d.get("id")).distinct().count(), "none twice");
    }
}
