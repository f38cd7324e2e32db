package dev.cryoprotect.migrate.database.convex;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.Migrator;
import dev.cryoprotect.migrate.convex.ConvexClient;
import dev.cryoprotect.migrate.convex.ConvexException;
import dev.cryoprotect.migrate.database.DatabaseTarget;
import dev.cryoprotect.migrate.model.MigrationState;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.source.DirectorySource;
import dev.cryoprotect.migrate.source.InvalidMigrationsException;
import dev.cryoprotect.migrate.testing.TargetContractTest;
import dev.cryoprotect.migrate.testing.TestConvex;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The contract against the local Convex backend over HTTP, plus what only Convex has. */
class ConvexTargetTest extends TargetContractTest {

    @Override
    protected void freshDatabase() {
        TestConvex.reset();
    }

    @Override
    protected DatabaseTarget newTarget() {
        return new ConvexTarget(TestConvex.client(), ConvexTarget.Options.defaults().withLease(Duration.ofSeconds(20)));
    }

    @Override
    protected void writeCreating(String version, String thing) {
        files.write(version + "_create_" + thing + ".json", """
                {"version": "%s", "schema": {"things": {"name": "string"}},
                 "data": [{"type": "insert", "table": "things", "data": {"name": "%s"}}]}
                """.formatted(version, thing));
    }

    @Override
    protected void writeFailing(String version) {
        // An update that grows a document past Convex's 1 MiB: passes the file checks, fails in Convex.
        files.write(version + "_broken.json", """
                {"version": "%s", "schema": {"things": {"name": "string", "more": "string?"}},
                 "data": [
                   {"type": "insert", "table": "things", "data": {"name": "half_done"}},
                   {"type": "insert", "table": "things", "data": {"name": "grows", "more": "%s"}},
                   {"type": "update", "table": "things", "filter": {"name": "grows"}, "data": {"name": "%s"}}
                 ]}
                """.formatted(version, "m".repeat(600_000), "n".repeat(600_000)));
    }

    @Override
    protected Set<String> things() {
        return TestConvex.documents("things").stream().map(d -> (String) d.get("name")).collect(Collectors.toSet());
    }

    @Override
    protected DatabaseTarget targetWithSecret(String secret) {
        return new ConvexTarget(new ConvexClient(TestConvex.backend().url(), secret), ConvexTarget.Options.defaults());
    }

    @Override
    protected Duration crashWhileHoldingTheLock() {
        // A runner that took a 2 s lease and died: it never renews and never releases.
        Map<?, ?> taken = (Map<?, ?>) TestConvex.client().mutation("migrations/runner:acquireLock",
                Map.of("owner", "crashed-runner", "leaseMs", 2000.0));
        assertEquals(Boolean.TRUE, taken.get("acquired"));
        return Duration.ofSeconds(2);
    }

    @Override
    protected String fileOf(String version) {
        return files.dir().toFile().list((d, n) -> n.startsWith(version + "_") && n.endsWith(".json"))[0];
    }

    /**
     * Three files of 6,000 inserts each: apart, each is well inside one mutation's limits; a dry run puts them in one
     * mutation, past Convex's 16,000 writes. The third is "not tried", not "would fail": the apply gives each its own.
     */
    @Test
    void aDryRunPastOneMutationsLimitsSaysNotTriedWhereTheApplyWouldPass() {
        for (String version : List.of("001", "002", "003")) {
            String ops = inserts("things", 6000, i -> "{\"name\": \"" + version + "-" + i + "\"}");
            files.write(version + "_many.json", "{\"version\": \"" + version + "\", \"schema\": {\"things\": {\"name\":"
                    + " \"string\"}}, \"data\": [" + ops + "]}");
        }
        RunResult dry = migrator().apply(null, true);
        assertTrue(dry.success(), dry.message() + " " + dry.steps());
        assertEquals(List.of("would_apply", "would_apply", "skipped"), dry.steps().stream().map(st -> st.outcome().id())
                .toList(), dry.toString());
        assertTrue(dry.steps().get(2).message().startsWith("not tried: the dry run runs every migration in one"
                + " mutation"), dry.steps().get(2).message());
        assertEquals(Set.of(), things(), "a dry run changes nothing");
        RunResult applied = migrator().apply(null, false);
        assertTrue(applied.success(), "the apply passes, each in its own mutation: " + applied.message());
    }

    /**
     * Status reads the history by hand, not through data binding: for the runner's real answers (applied rows, a
     * rolled-back one, an unfinished batched apply with and without totals) both readings are the same records.
     */
    @Test
    void theHistoryReadByHandIsTheDataBoundOne() {
        Map<String, Object> applied = Map.of("version", "001", "name", "users", "checksum", "abc",
                "applied_at", 1.7e12, "run_id", "run-1", "applied_by", "ci", "state", "rolling_back");
        Map<String, Object> bare = Map.of("version", "002", "name", "x", "checksum", "def", "applied_at", 5.0);
        Map<String, Object> progress = Map.of("version", "003", "name", "big", "checksum", "ghi", "next_index", 3000.0,
                "batches", 3.0, "started_at", 1.7e12, "total_ops", 7000.0, "total_batches", 7.0, "rolling_back", true);
        Map<String, Object> older = Map.of("version", "004", "name", "old", "checksum", "jkl", "next_index", 0.0,
                "batches", 0.0, "started_at", 1.0, "run_id", "run-2");
        for (Object answer : List.of(Map.of("applied", List.of()), Map.of("applied", List.of(applied, bare),
                "batchesInProgress", List.of(progress, older)), TestConvex.client().query("migrations/runner:listApplied",
                Map.of()))) {
            assertEquals(MigrationFunctions.decode(answer, MigrationFunctions.History.class),
                    MigrationFunctions.history(answer), String.valueOf(answer));
        }
    }

    @Test
    void int64BytesAndSpecialFloatsRoundTrip() {
        files.write("001_values.json", """
                {"version": "001",
                 "schema": {"samples": {"big": "int64", "small": "int64", "raw": "bytes", "f": "any", "g": "number",
                                        "h": "number", "tags": "string[]", "nested": {"n": "int64", "s": "string?"}}},
                 "data": [{"type": "insert", "table": "samples", "data": {
                   "big": "9223372036854775807", "small": {"$integer": "AAAAAAAAAIA="}, "raw": "AAEC/w==",
                   "f": {"$float": "AAAAAAAA+H8="}, "g": {"$float": "AAAAAAAAAIA="}, "h": 1.5,
                   "tags": ["ü", "日本"], "nested": {"n": -1}}}]}
                """);
        assertTrue(migrator().apply(null, false).success());
        Map<String, Object> doc = TestConvex.documents("samples").get(0);
        assertEquals(Long.MAX_VALUE, doc.get("big"));
        assertEquals(Long.MIN_VALUE, doc.get("small"));
        assertArrayEquals(new byte[]{0, 1, 2, (byte) 0xff}, (byte[]) doc.get("raw"));
        assertTrue(Double.isNaN((Double) doc.get("f")));
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits((Double) doc.get("g")));
        assertEquals(1.5, doc.get("h"));
        assertEquals(List.of("ü", "日本"), doc.get("tags"));
        assertEquals(Map.of("n", -1L), doc.get("nested"));
    }

    @Test
    void updatesAndDeletesRollBackExactlyWithoutOriginalData() {
        files.write("001_users.json", """
                {"version": "001", "schema": {"users": {"email": "string", "role": "string?", "n": "int64?"}},
                 "data": [{"type": "insert", "table": "users", "data": {"email": "a@x", "role": "admin", "n": 7}},
                          {"type": "insert", "table": "users", "data": {"email": "b@x"}}]}
                """);
        files.write("002_change.json", """
                {"version": "002",
                 "data": [{"type": "update", "table": "users", "filter": {"email": "a@x"}, "data": {"role": "owner", "n": 8}},
                          {"type": "update", "table": "users", "filter": {"email": "b@x"}, "data": {"role": "guest"}},
                          {"type": "delete", "table": "users", "filter": {"role": "guest"}}]}
                """);
        migrator().apply(Version("001"), false);
        Set<Map<String, Object>> before = userFields();
        RunResult applied = migrator().apply(null, false);
        assertTrue(applied.success(), applied.message());
        assertEquals(Set.of(Map.of("email", "a@x", "role", "owner", "n", 8L)), userFields());
        assertTrue(migrator().rollback(null, false).success());
        assertEquals(before, userFields(), "b@x is back without a role field, a@x has its old role and n");
    }

    @Test
    void aFailingOpNamesTheFileAndItsLine() {
        writeFailing("001");
        RunResult result = migrator().apply(null, false);
        assertFalse(result.success());
        assertEquals("001_broken.json", result.error().file());
        assertEquals(5, result.error().line(), result.error().message());
        assertTrue(result.error().message().contains("data op 2 (update things) failed: the document would be 1171 KiB;"
                + " Convex stores at most 1 MiB per document"), result.error().message());
        assertTrue(result.error().message().contains("nothing of it remains"), result.error().message());
        assertEquals(Set.of(), things());
    }

    @Test
    void aSchemaViolationIsReportedWithFileAndOpIndexBeforeAnythingIsSent() {
        writeCreating("001", "alpha");
        files.write("002_bad.json", """
                {"version": "002", "schema": {"things": {"count": "int64?"}},
                 "data": [{"type": "insert", "table": "things", "data": {"name": "ok"}},
                          {"type": "update", "table": "things", "filter": {"name": "ok"}, "data": {"count": 1.5}}]}
                """);
        InvalidMigrationsException e = assertThrows(InvalidMigrationsException.class, () -> migrator().apply(null, false));
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertTrue(e.getMessage().contains("002_bad.json:3: data[1] (update things): field 'count': expected int64"),
                e.getMessage());
        assertEquals(Set.of(), things(), "nothing ran, not even 001");
    }

    @Test
    void tooLargeForOneMutationIsRefusedUnlessBatched() {
        String ops = inserts("things", 40, i -> "{\"name\": \"t" + i + "\"}");
        files.write("001_many.json", "{\"version\": \"001\", \"schema\": {\"things\": {\"name\": \"string\"}}, \"data\": ["
                + ops + "]}");
        Map<String, Object> tight = Map.of("documentsRead", 1000.0, "documentsWritten", 30.0,
                "bytesRead", 1e6, "bytesWritten", 1e6);
        ConvexTarget.Options small = ConvexTarget.Options.defaults().withLimits(tight);
        RunResult refused = Migrator.configure().source(new DirectorySource(dir))
                .target(track(new ConvexTarget(TestConvex.client(), small))).load().apply(null, false);
        assertFalse(refused.success());
        assertTrue(refused.error().message().contains("version 001"), refused.error().message());
        assertTrue(refused.error().message().contains("30 documents written"), refused.error().message());
        assertEquals(Set.of(), things());

        files.write("001_many.json", "{\"version\": \"001\", \"batched\": true, \"schema\": {\"things\": {\"name\": \"string\"}},"
                + " \"data\": [" + ops + "]}");
        ConvexTarget.Options batched = new ConvexTarget.Options(Duration.ofSeconds(20), Duration.ofMillis(200), tight,
                10, 1 << 20, 8 << 20);
        RunResult done = Migrator.configure().source(new DirectorySource(dir))
                .target(track(new ConvexTarget(TestConvex.client(), batched))).load().apply(null, false);
        assertTrue(done.success(), done.message());
        assertEquals(40, things().size());
        RunResult back = Migrator.configure().source(new DirectorySource(dir))
                .target(track(new ConvexTarget(TestConvex.client(), batched))).load().rollback(null, false);
        assertTrue(back.success(), back.message());
        assertEquals(Set.of(), things());
    }

    /**
     * An op whose filter a declared index covers names that index, and reads only its range: 30 documents, a budget
     * of 20 reads. The local backend deploys the index when an op first names it, as deploying schema.ts would in
     * production. Without the index the same op is refused, saying which index to declare.
     */
    @Test
    void anOpOnAnIndexedFieldReadsTheIndexRangeNotTheTable() {
        String inserts = inserts("users", 30, i -> "{\"email\": \"u" + i + "@x\", \"team\": \"t\"}");
        files.write("001_users.json", "{\"version\": \"001\", \"schema\": {\"users\": {\"email\": \"string\","
                + " \"team\": \"string\", \"role\": \"string?\"}}, \"indexes\": [{\"table\": \"users\", \"name\":"
                + " \"by_email\", \"fields\": [\"email\"]}], \"data\": [" + inserts + "]}");
        files.write("002_promote.json", """
                {"version": "002",
                 "data": [{"type": "update", "table": "users", "filter": {"email": "u3@x"}, "data": {"role": "owner"}}]}
                """);
        assertTrue(migrator().apply(Version("001"), false).success());
        ConvexTarget.Options tight = ConvexTarget.Options.defaults().withLimits(Map.of("documentsRead", 20.0,
                "documentsWritten", 100.0, "bytesRead", 1e6, "bytesWritten", 1e6));
        RunResult applied = Migrator.configure().source(new DirectorySource(dir))
                .target(track(new ConvexTarget(TestConvex.client(), tight))).load().apply(null, false);
        assertTrue(applied.success(), applied.message());
        assertEquals(Set.of(Map.of("email", "u3@x", "team", "t", "role", "owner")), userFields().stream()
                .filter(user -> user.containsKey("role")).collect(Collectors.toSet()));
        assertTrue(migrator().rollback(null, false).success());
        assertEquals(30, userFields().size());
        assertTrue(userFields().stream().noneMatch(user -> user.containsKey("role")));

        files.write("002_promote.json", """
                {"version": "002",
                 "data": [{"type": "update", "table": "users", "filter": {"team": "t"}, "data": {"role": "member"}}]}
                """);
        RunResult refused = Migrator.configure().source(new DirectorySource(dir))
                .target(track(new ConvexTarget(TestConvex.client(), tight))).load().apply(null, false);
        assertFalse(refused.success());
        assertTrue(refused.error().message().contains("reads all of table \"users\" to find its documents: declare an"
                + " index on \"team\" in a migration"), refused.error().message());
        assertTrue(userFields().stream().noneMatch(user -> user.containsKey("role")));
    }

    /** A version stopped part way while another run holds the lease: status says so, and when that lease lapses. */
    @Test
    void statusNamesTheLiveLeaseOfAnotherRunOverAPartialVersion() {
        String ops = inserts("things", 20, i -> "{\"name\": \"t" + i + "\"}") + ",";
        // The last op grows a document past Convex's 1 MiB: the batches before it stay, the version is PARTIAL.
        files.write("001_many.json", "{\"version\": \"001\", \"batched\": true, \"schema\": {\"things\": {\"name\":"
                + " \"string\", \"more\": \"string?\"}}, \"data\": [" + ops + "{\"type\": \"insert\", \"table\": \"things\","
                + " \"data\": {\"name\": \"grows\", \"more\": \"" + "m".repeat(600_000) + "\"}}, {\"type\": \"update\","
                + " \"table\": \"things\", \"filter\": {\"name\": \"grows\"}, \"data\": {\"name\": \""
                + "n".repeat(600_000) + "\"}}]}");
        ConvexTarget.Options small = new ConvexTarget.Options(Duration.ofSeconds(20), Duration.ofMillis(200), null,
                10, 1 << 20, 8 << 20);
        RunResult failed = Migrator.configure().source(new DirectorySource(dir))
                .target(track(new ConvexTarget(TestConvex.client(), small))).load().apply(null, false);
        assertFalse(failed.success());
        assertEquals(MigrationState.PARTIAL, migrator().status().migrations().get(0).state());
        assertFalse(migrator().status().migrations().get(0).detail().startsWith("a run holds the lock"));

        DatabaseTarget other = track(newTarget());
        try (DatabaseTarget.Lock held = other.lock(Duration.ofSeconds(5))) {
            String detail = migrator().status().migrations().get(0).detail();
            assertTrue(detail.startsWith("a run holds the lock now (Convex lease taken at "), detail);
            assertTrue(detail.contains("unless renewed; a killed run's lease lapses then): it may still be working"),
                    detail);
            assertTrue(detail.contains("--resume"), "the advice for a stopped run follows: " + detail);
        }
        assertFalse(migrator().status().migrations().get(0).detail().startsWith("a run holds the lock"));
    }

    @Test
    void internalFunctionsNeedTheDeployKey() {
        ConvexClient anonymous = new ConvexClient(TestConvex.backend().url(), null, Duration.ofSeconds(5), 0,
                Duration.ofMillis(10));
        ConvexException.TransportError e = assertThrows(ConvexException.TransportError.class,
                () -> anonymous.query("migrations/runner:listApplied", Map.of()));
        assertEquals(404, e.status());
        ConvexClient wrongKey = new ConvexClient(TestConvex.backend().url(), "local|wrong-key-value", Duration.ofSeconds(5),
                0, Duration.ofMillis(10));
        ConvexException.TransportError bad = assertThrows(ConvexException.TransportError.class,
                () -> wrongKey.query("migrations/runner:listApplied", Map.of()));
        assertEquals(401, bad.status());
        assertFalse(bad.getMessage().contains("wrong-key-value"), bad.getMessage());
    }

    @Test
    void anUnreachableBackendIsReportedAfterRetries() {
        writeCreating("001", "alpha");
        ConvexClient nowhere = new ConvexClient("http://127.0.0.1:1", "secret-deploy-key", Duration.ofSeconds(2), 2,
                Duration.ofMillis(10));
        MigrateException e = assertThrows(MigrateException.class, () -> Migrator.configure()
                .source(new DirectorySource(dir)).target(track(new ConvexTarget(nowhere, ConvexTarget.Options.defaults())))
                .lockTimeout(Duration.ofSeconds(1)).load().apply(null, false));
        assertEquals(Failure.UNREACHABLE, e.failure());
        assertTrue(e.getMessage().contains("after 3 attempts"), e.getMessage());
        assertFalse(e.getMessage().contains("secret-deploy-key"), e.getMessage());
    }

    @Test
    void dryRunCoversSeveralMigrationsInOneMutation() {
        writeCreating("001", "alpha");
        files.write("002_rename.json", """
                {"version": "002", "data": [{"type": "update", "table": "things", "filter": {"name": "alpha"},
                 "data": {"name": "beta"}}]}
                """);
        RunResult dry = migrator().apply(null, true);
        assertTrue(dry.success(), dry.message() + " " + dry.steps());
        assertEquals(List.of("would_apply", "would_apply"), dry.steps().stream().map(s -> s.outcome().id()).toList());
        assertTrue(dry.steps().get(1).message().contains("updated 1"), "002 saw 001's insert: " + dry.steps());
        assertEquals(Set.of(), things());
    }

    /** {@code count} insert ops into {@code table}, comma-separated, the i-th inserting {@code data.apply(i)}. */
    private static String inserts(String table, int count, java.util.function.IntFunction<String> data) {
        return java.util.stream.IntStream.range(0, count).mapToObj(i -> "{\"type\": \"insert\", \"table\": \"" + table
                + "\", \"data\": " + data.apply(i) + "}").collect(Collectors.joining(","));
    }

    private Set<Map<String, Object>> userFields() {
        return TestConvex.documents("users").stream().map(d -> d.entrySet().stream()
                        .filter(e -> !e.getKey().startsWith("_"))
                        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)))
                .collect(Collectors.toSet());
    }

    private static dev.cryoprotect.migrate.model.Version Version(String v) {
        return dev.cryoprotect.migrate.model.Version.parse(v);
    }
}
