package dev.cryoprotect.migrate.sync;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.lambda.ContainerAccess;
import dev.cryoprotect.migrate.lambda.SyncData;
import dev.cryoprotect.migrate.testing.TestConvex;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tables past one Lambda call, through the real SyncData handler: a call that stops at its time limit answers what is
 * left and the next continues; a fan-out over key ranges (the sync state machine, run locally) ends with the same
 * documents as one worker.
 */
class SyncFanOutTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path STATEMACHINE = Path.of("..", "statemachine").toAbsolutePath().normalize();
    @TempDir
    Path migrations;
    private String url;
    private Map<String, String> env;

    @BeforeEach
    void setUp() {
        url = TestPostgres.newDatabase();
        TestConvex.reset();
        env = new HashMap<>(TestConvex.environment());
        env.put("SUPABASE_DB_URL", url);
        env.put("MIGRATIONS_DIR", migrations.toString());
        env.put("AWS_LAMBDA_FUNCTION_NAME", "SyncData");
    }

    /** The summary SyncData answers, or the one its failure carries (rows still rejected at the end). */
    private JsonNode syncData(String event) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            new SyncData(ContainerAccess.container(env, line -> { })).handleRequest(
                    new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, null);
        } catch (dev.cryoprotect.migrate.lambda.MigrationFailedException e) {
            return JSON.readTree(e.getMessage());
        }
        return JSON.readTree(out.toByteArray());
    }

    private void rows(String table, int n, boolean cursor) {
        TestPostgres.execute(url, "CREATE TABLE " + table + " (id int PRIMARY KEY, body text"
                + (cursor ? ", updated_at timestamptz NOT NULL" : "") + "); INSERT INTO " + table + " SELECT g, 'row ' || g"
                + (cursor ? ", '2024-01-01'::timestamptz + g * interval '1 second'" : "")
                + " FROM generate_series(1, " + n + ") g");
    }

    /** Each document without its Convex id and creation time, by source id. */
    private static Map<Object, Map<String, Object>> content(String table) {
        Map<Object, Map<String, Object>> byId = new TreeMap<>(Comparator.comparing(o -> ((Number) o).doubleValue()));
        for (Map<String, Object> doc : TestConvex.documents(table)) {
            Map<String, Object> fields = new HashMap<>(doc);
            fields.remove("_id");
            fields.remove("_creationTime");
            assertEquals(null, byId.put(fields.get("id"), fields), "no source row twice: " + fields.get("id"));
        }
        return byId;
    }

    @Test
    void aCallStoppedByItsTimeLimitIsContinuedByTheNextUntilDone() throws Exception {
        rows("plain", 1300, false);
        rows("stamped", 1300, true);
        List<String> remaining = List.of("plain", "stamped");
        int calls = 0;
        while (!remaining.isEmpty()) {
            assertTrue(++calls < 20, "makes progress");
            JsonNode summary = syncData("{\"tables\": " + JSON.writeValueAsString(remaining) + ", \"maxSeconds\": 0}");
            assertEquals(0, summary.get("failure_count").asInt(), summary.toString());
            remaining = JSON.convertValue(summary.get("remaining"), List.class);
            assertEquals(remaining.isEmpty(), summary.get("done").asBoolean());
        }
        assertTrue(calls >= 3, "the time limit split the work: " + calls + " calls");
        assertEquals(1300, content("plain").size());
        assertEquals(1300, content("stamped").size());
        JsonNode again = syncData("{\"tables\": [\"plain\", \"stamped\"]}");
        assertTrue(again.get("done").asBoolean());
        assertEquals(1300, again.get("results").get(0).get("unchanged").asInt(), "a new full pass of the table without"
                + " cursor, nothing to write: " + again);
        assertEquals(0, again.get("results").get(1).get("read").asInt(), "nothing new past the cursor's mark");
    }

    /**
     * Calls of no time at all still end: rows retried from earlier rejections do not use up a call's first batch, and
     * rows newer than the lookback (read again by every sync anyway) do not keep a table unfinished.
     */
    @Test
    void retriedRejectionsAndRecentRowsDoNotKeepATimeLimitedLoopGoing() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE half (id int PRIMARY KEY, n int8); INSERT INTO half SELECT g, CASE WHEN"
                + " g <= 600 THEN 1152921504606846976 ELSE g END FROM generate_series(1, 1300) g;"
                + " CREATE TABLE fresh (id int PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now());"
                + " INSERT INTO fresh SELECT g FROM generate_series(1, 1300) g");
        syncData("{\"tables\": [\"half\"]}"); // records the 600 rejections
        for (String table : List.of("half", "fresh")) {
            List<String> remaining = List.of(table);
            int calls = 0;
            while (!remaining.isEmpty()) {
                assertTrue(++calls <= 6, table + " makes progress");
                JsonNode summary = syncData("{\"tables\": [\"" + table + "\"], \"maxSeconds\": 0}");
                remaining = JSON.convertValue(summary.get("remaining"), List.class);
            }
        }
        assertEquals(700, TestConvex.documents("half").size());
        JsonNode fresh = syncData("{\"tables\": [\"fresh\"], \"maxSeconds\": 0}");
        assertTrue(fresh.get("results").get(0).get("notes").toString().contains("stopped at its time limit among"
                + " rows newer than the lookback"), fresh.toString());
        assertTrue(syncData("{\"tables\": [\"fresh\"]}").get("done").asBoolean());
        assertEquals(1300, TestConvex.documents("fresh").size(), "a call with time for them syncs them all");
    }

    /**
     * 3,000 rows here; the benchmark runs the same with a million ({@code -Dsync.fanout.rows=1000000}, see
     * BENCHMARKS.md) and prints the times.
     */
    @Test
    void aFanOutOverKeyRangesEndsEqualToOneWorker() throws Exception {
        int total = Integer.getInteger("sync.fanout.rows", 3000);
        rows("big", total, true);
        long started = System.nanoTime();
        JsonNode run = execute("{\"tables\": [\"big\"], \"dryRun\": false, \"ranges\": 8}");
        double fanOutSeconds = (System.nanoTime() - started) / 1e9;
        assertEquals("SUCCEEDED", run.get("status").asText(), run.toString());
        List<String> states = JSON.convertValue(run.get("states"), List.class);
        assertEquals("PlanRanges", states.get(0));
        assertTrue(states.stream().filter("SyncRange"::equals).count() >= 8, "a worker per range: " + states);
        assertEquals("FinishRanges", states.get(states.size() - 1));
        Map<Object, Map<String, Object>> fannedOut = content("big");
        assertEquals(total, fannedOut.size());
        JsonNode incremental = syncData("{\"tables\": [\"big\"]}");
        assertEquals(0, incremental.get("results").get(0).get("read").asInt(),
                "the fan-out set the high-water mark: " + incremental);

        TestConvex.reset();
        started = System.nanoTime();
        JsonNode single = syncData("{\"tables\": [\"big\"]}");
        double singleSeconds = (System.nanoTime() - started) / 1e9;
        assertEquals(total, single.get("results").get(0).get("inserted").asInt(), single.toString());
        assertEquals(fannedOut, content("big"), "the same documents as one worker");
        System.out.printf("fan-out of %,d rows over 8 key ranges (sync state machine, local): %.1f s, %,.0f rows/s;"
                + " one worker: %.1f s, %,.0f rows/s; documents equal%n", total, fanOutSeconds, total / fanOutSeconds,
                singleSeconds, total / singleSeconds);
    }

    /** A dry run keeps no progress: one call per table, never a fan-out (whose workers write), never a loop. */
    @Test
    void aDryRunOfTheSyncStateMachineIsOneCallThatWritesNothing() throws Exception {
        rows("big", 3000, true);
        rows("other", 10, false);
        JsonNode run = execute("{\"tables\": [\"big\"], \"dryRun\": true, \"ranges\": 8}");
        assertEquals("SUCCEEDED", run.get("status").asText(), run.toString());
        assertEquals(List.of("SyncTables"), JSON.convertValue(run.get("states"), List.class), "not fanned out");
        assertEquals(0, TestConvex.documents("big").size(), "a dry run wrote nothing");

        // Each call stops at once: the table it started is counted as far as it got; the other waits for the next call.
        run = execute("{\"tables\": [\"big\", \"other\"], \"dryRun\": true, \"maxSeconds\": 0}");
        assertEquals("SUCCEEDED", run.get("status").asText(), run.toString());
        assertEquals(List.of("SyncTables", "SyncTables"), JSON.convertValue(run.get("states"), List.class),
                "big ended in the first call, not started over: " + run);
        JsonNode direct = syncData("{\"tables\": [\"big\", \"other\"], \"dryRun\": true, \"maxSeconds\": 0}");
        assertEquals(List.of("other"), JSON.convertValue(direct.get("remaining"), List.class), direct.toString());
        assertTrue(direct.get("results").get(0).get("notes").toString().contains("the dry run stopped at its time limit"
                + " after 500 rows"), direct.toString());
        assertTrue(direct.get("results").get(1).get("notes").toString().contains("not started"), direct.toString());
        assertEquals(0, TestConvex.documents("big").size() + TestConvex.documents("other").size(), "nothing written");
    }

    /**
     * The input as README gives it (no dryRun). A row rejected in a table an early call finished does not stop the loop
     * over the others; the execution fails at its end, naming why.
     */
    @Test
    void rowsRejectedEarlyDoNotStopTheLoopAndFailTheExecutionAtItsEnd() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE early (id int PRIMARY KEY, big int8); INSERT INTO early SELECT g,"
                + " CASE WHEN g = 7 THEN 1152921504606846976 ELSE g END FROM generate_series(1, 10) g");
        rows("late", 1300, true);
        JsonNode run = execute("{\"tables\": [\"early\", \"late\"], \"maxSeconds\": 0}");
        assertEquals("FAILED", run.get("status").asText(), run.toString());
        assertEquals("SyncRejectedRows", run.get("error").asText(), run.toString());
        assertTrue(JSON.convertValue(run.get("states"), List.class).size() >= 3, "the loop went on: " + run);
        assertEquals(1300, content("late").size(), "the other table synced to the end");
        assertEquals(9, TestConvex.documents("early").size(), "all but the rejected row");
    }

    /** Runs statemachine/sync.asl.json locally, its Task states calling the real SyncData through `migrate invoke`. */
    private JsonNode execute(String input) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("node", "run-local.mjs", input).directory(STATEMACHINE.toFile());
        Map<String, String> processEnv = new HashMap<>(env);
        processEnv.put("DEFINITION", "sync.asl.json");
        processEnv.put("EXECUTION_NAME", "fanout-test");
        processEnv.put("MIGRATE_COMMAND", JSON.writeValueAsString(List.of(Path.of(System.getProperty("java.home"), "bin",
                "java").toString(), "-cp", System.getProperty("java.class.path"), "dev.cryoprotect.migrate.app.Main")));
        processEnv.remove("AWS_LAMBDA_FUNCTION_NAME");
        pb.environment().putAll(processEnv);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process process = pb.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(600 + Integer.getInteger("sync.fanout.rows", 0) / 1000, TimeUnit.SECONDS));
        assertFalse(out.isBlank(), "the local execution printed its result");
        return JSON.readTree(out);
    }
}
