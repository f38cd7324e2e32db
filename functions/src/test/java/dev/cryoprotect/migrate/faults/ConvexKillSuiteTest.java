package dev.cryoprotect.migrate.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.cli.CliRun;
import dev.cryoprotect.migrate.testing.MigrationFiles;
import dev.cryoprotect.migrate.testing.TestConvex;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * kill -9 on the Convex side, {@link #ROUNDS} rounds per kind of run (12; {@code -Dkill.rounds=N} for a longer run):
 * a batched apply, a rollback that takes dozens of mutations,
 * and an unbatched apply that inserts, patches and deletes. After each kill, {@code status} must say what the tables
 * hold (documents compared with the history and its recorded progress), and the one command status names must bring
 * Convex to a version boundary with exact document counts and no duplicates.
 */
class ConvexKillSuiteTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int BULK = 3000;
    private static final Pattern COMMAND = Pattern.compile("'migrate ([^']+)'");
    /** Rounds per kind of run; each is a real apply into a reset backend, so they set most of the suite's time. */
    static final int ROUNDS = Integer.getInteger("kill.rounds", 12);

    @TempDir
    Path dir;
    private Map<String, String> env;
    private final Random random = new Random(20261125);

    @BeforeEach
    void setUp() {
        env = new HashMap<>(TestConvex.environment());
        env.put("USE_CONVEX", "true");
    }

    // ---- the three kinds of run -------------------------------------------------------------------------------

    @Test
    void killedBatchedApplyIsPartialWithItsBatchesAndEndsWhereTheNamedCommandTakesIt() throws Exception {
        seedAndBulk(true);
        int partial = 0;
        for (int round = 0; round < ROUNDS; round++) {
            TestConvex.reset();
            cli(0, "apply", "--target", "001");
            int killAfterBatches = random.nextInt(29); // of 30
            Process p = killedRun("apply", "default");
            if (killAfterBatches == 0) {
                Thread.sleep(random.nextInt(1500));
            } else {
                waitFor(p, "batch " + killAfterBatches, () -> batchesDone() >= killAfterBatches);
            }
            kill(p);

            JsonNode entry = statusOf("002");
            String state = entry.get("state").asText();
            int docs = bulkDocuments();
            switch (state) {
                case "PENDING" -> assertEquals(0, docs, "round " + round + ": PENDING, yet documents are there");
                case "APPLIED" -> assertEquals(BULK, docs, "round " + round);
                case "PARTIAL" -> {
                    partial++;
                    assertEquals(nextIndex(), docs, "round " + round + ": the documents are exactly the ops recorded");
                    assertTrue(docs > 0 && docs < BULK, "round " + round + ": " + docs);
                    String detail = entry.get("detail").asText();
                    assertTrue(detail.contains(batchesDone() + " of 30 batches committed (ops 1-" + docs + " of " + BULK
                            + ")"), detail);
                    refusedWithoutResume(round);
                    runNamedCommand(detail, round % 2 == 0 ? "apply" : "rollback");
                }
                default -> fail("round " + round + ": status says " + state);
            }
            boolean undone = state.equals("PENDING") || state.equals("PARTIAL") && round % 2 == 1;
            assertEquals(undone ? "PENDING" : "APPLIED", statusOf("002").get("state").asText(), "round " + round);
            if (undone) {
                assertEquals(0, bulkDocuments(), "round " + round + ": undone to the last document");
            } else {
                assertBulkExactlyOnce(round);
            }
            assertSeedIntact(round);
        }
        assertTrue(partial >= ROUNDS / 2, "most kills landed between batches: " + partial + " of " + ROUNDS);
    }

    @Test
    void killedMultiCallRollbackIsRollingBackAndTheNamedCommandFinishesIt() throws Exception {
        seedAndBulk(true);
        int rollingBack = 0;
        for (int round = 0; round < ROUNDS; round++) {
            TestConvex.reset();
            cli(0, "apply");
            assertBulkExactlyOnce(round);
            int killBelow = BULK - 100 - random.nextInt(BULK - 200); // 100 documents undone per mutation: ~30 calls
            Process p = killedRun("rollback", "tight", "001");
            if (round % 5 == 0) {
                Thread.sleep(random.nextInt(1500)); // now and then at a random moment of the start-up
            } else {
                waitFor(p, killBelow + " documents left", () -> bulkDocuments() <= killBelow);
            }
            kill(p);

            JsonNode entry = statusOf("002");
            String state = entry.get("state").asText();
            int docs = bulkDocuments();
            switch (state) {
                case "APPLIED" -> assertEquals(BULK, docs, "round " + round + ": APPLIED, yet documents are gone");
                case "PENDING" -> assertEquals(0, docs, "round " + round);
                case "ROLLING_BACK" -> {
                    rollingBack++;
                    assertTrue(docs < BULK, "round " + round + ": " + docs);
                    refusedWithoutResume(round);
                    runNamedCommand(entry.get("detail").asText(), "rollback");
                }
                default -> fail("round " + round + ": status says " + state);
            }
            if (!state.equals("APPLIED")) {
                assertEquals("PENDING", statusOf("002").get("state").asText(), "round " + round);
                assertEquals(0, bulkDocuments(), "round " + round + ": rolled back to the last document");
                assertEquals(List.of(), TestConvex.documents("migration_inverse").stream()
                        .filter(c -> "002".equals(c.get("version"))).toList(), "round " + round + ": no inverse left");
            }
            assertSeedIntact(round);
        }
        assertTrue(rollingBack >= ROUNDS / 2, "most kills landed inside the rollback: " + rollingBack + " of " + ROUNDS);
    }

    @Test
    void killedUnbatchedApplyOfInsertsPatchesAndDeletesIsAllOrNothing() throws Exception {
        MigrationFiles files = new MigrationFiles(dir);
        StringBuilder seed = new StringBuilder();
        for (int i = 0; i < 900; i++) {
            seed.append(i == 0 ? "" : ",").append("{\"type\": \"insert\", \"table\": \"items\", \"data\": {\"n\": ")
                    .append(i).append(", \"group\": ").append(i % 3).append(", \"state\": \"new\"}}");
        }
        files.write("001_seed.json", "{\"version\": \"001\", \"schema\": {\"items\": {\"n\": \"number\", \"group\":"
                + " \"number\", \"state\": \"string\"}}, \"data\": [" + seed + "]}");
        StringBuilder reshape = new StringBuilder();
        for (int i = 0; i < 900; i++) {
            reshape.append("{\"type\": \"insert\", \"table\": \"items\", \"data\": {\"n\": ").append(900 + i)
                    .append(", \"group\": 9, \"state\": \"new\"}},");
        }
        reshape.append("{\"type\": \"update\", \"table\": \"items\", \"filter\": {\"group\": 1}, \"data\": {\"state\":"
                + " \"patched\"}}, {\"type\": \"delete\", \"table\": \"items\", \"filter\": {\"group\": 2}}");
        files.write("002_reshape.json", "{\"version\": \"002\", \"data\": [" + reshape + "]}");
        Map<String, Long> before = null;
        Map<String, Long> after = null;
        int applied = 0;
        for (int round = 0; round < ROUNDS; round++) {
            TestConvex.reset();
            cli(0, "apply", "--target", "001");
            if (before == null) {
                before = itemsShape();
                assertEquals(Map.of("0/new", 300L, "1/new", 300L, "2/new", 300L), before);
            }
            Process p = killedRun("apply", "default");
            waitFor(p, "the lock", () -> !TestConvex.documents("migration_locks").isEmpty());
            Thread.sleep(random.nextInt(600));
            kill(p);

            String state = statusOf("002").get("state").asText();
            Map<String, Long> shape = itemsShape();
            if (state.equals("PENDING")) {
                assertEquals(before, shape, "round " + round + ": PENDING and nothing of 002 in the tables");
            } else {
                applied++;
                assertEquals("APPLIED", state, "round " + round);
                assertEquals(Map.of("0/new", 300L, "1/patched", 300L, "9/new", 900L), shape, "round " + round);
            }
            cli(0, "apply");
            after = itemsShape();
            assertEquals(Map.of("0/new", 300L, "1/patched", 300L, "9/new", 900L), after, "round " + round);
            assertEquals(1500, TestConvex.documents("items").stream().map(d -> d.get("n")).distinct().count(),
                    "round " + round + ": no document twice");
        }
        cli(0, "rollback", "--target", "001");
        assertEquals(before, itemsShape(), "the rollback restores the seed exactly");
        System.out.println("unbatched kills: " + applied + " of " + ROUNDS + " after the mutation committed");
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    /** 001: one seed document; 002: BULK inserts, batched or not. */
    private void seedAndBulk(boolean batched) {
        MigrationFiles files = new MigrationFiles(dir);
        files.write("001_seed.json", "{\"version\": \"001\", \"schema\": {\"items\": {\"n\": \"number\"}},"
                + " \"data\": [{\"type\": \"insert\", \"table\": \"items\", \"data\": {\"n\": 0}}]}");
        StringBuilder ops = new StringBuilder();
        for (int i = 1; i <= BULK; i++) {
            ops.append(i == 1 ? "" : ",").append("{\"type\": \"insert\", \"table\": \"items\", \"data\": {\"n\": ")
                    .append(i).append("}}");
        }
        files.write("002_bulk.json", "{\"version\": \"002\", \"batched\": " + batched + ", \"data\": [" + ops + "]}");
    }

    private Process killedRun(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), KilledConvexRun.class.getName(), args[0], dir.toString()));
        command.addAll(List.of(args).subList(1, args.length));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(env);
        return pb.start();
    }

    private static void waitFor(Process p, String what, java.util.function.BooleanSupplier reached) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!reached.getAsBoolean()) {
            assertTrue(p.isAlive(), "the run ended before " + what);
            assertTrue(System.nanoTime() < deadline, "the run never reached " + what);
            Thread.sleep(5);
        }
    }

    private static void kill(Process p) throws InterruptedException {
        p.destroyForcibly(); // SIGKILL: no lease release, no goodbye
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    }

    private CliRun cli(int expectedExit, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--migrations", dir.toString(), "--database", "convex"));
        CliRun run = CliRun.of(env, all.toArray(String[]::new));
        assertEquals(expectedExit, run.exitCode(), String.join(" ", all) + "\n" + run);
        return run;
    }

    private JsonNode statusOf(String version) throws IOException {
        JsonNode status = JSON.readTree(cli(0, "status", "--format", "json").out());
        for (JsonNode entry : status.get("databases").get("convex").get("migrations")) {
            if (entry.get("version").asText().equals(version)) {
                return entry;
            }
        }
        throw new AssertionError("status has no version " + version + ": " + status);
    }

    /** Plain apply and rollback refuse to run past the unfinished version, naming the command that ends it. */
    private void refusedWithoutResume(int round) {
        for (String verb : List.of("apply", "rollback")) {
            CliRun refused = cli(5, verb);
            assertTrue(refused.err().contains("--resume") && refused.err().contains("version 002"),
                    "round " + round + ": " + refused);
        }
    }

    /** Runs the command quoted in status's detail whose verb is {@code verb}, as a user would copy it. */
    private void runNamedCommand(String detail, String verb) {
        Matcher m = COMMAND.matcher(detail);
        while (m.find()) {
            List<String> words = List.of(m.group(1).split(" "));
            if (words.get(0).equals(verb)) {
                List<String> args = new ArrayList<>(words);
                args.addAll(List.of("--migrations", dir.toString()));
                CliRun run = CliRun.of(env, args.toArray(String[]::new));
                assertEquals(0, run.exitCode(), "'" + m.group(1) + "'\n" + run);
                return;
            }
        }
        fail("status names no '" + verb + "' command: " + detail);
    }

    private Map<String, Object> listApplied() {
        return (Map<String, Object>) TestConvex.client().query("migrations/runner:listApplied", Map.of());
    }

    private Map<?, ?> progressOf002() {
        return ((List<?>) listApplied().get("batchesInProgress")).stream().map(r -> (Map<?, ?>) r)
                .filter(r -> "002".equals(r.get("version"))).findFirst().orElse(null);
    }

    private int batchesDone() {
        Map<?, ?> progress = progressOf002();
        if (progress == null) {
            return ((List<?>) listApplied().get("applied")).stream()
                    .anyMatch(r -> "002".equals(((Map<?, ?>) r).get("version"))) ? Integer.MAX_VALUE : 0;
        }
        return ((Number) progress.get("batches")).intValue();
    }

    private int nextIndex() {
        return ((Number) progressOf002().get("next_index")).intValue();
    }

    private int bulkDocuments() {
        return (int) TestConvex.documents("items").stream().filter(bulk()).count();
    }

    private static Predicate<Map<String, Object>> bulk() {
        return d -> ((Number) d.get("n")).intValue() > 0;
    }

    private void assertBulkExactlyOnce(int round) {
        List<Map<String, Object>> docs = TestConvex.documents("items").stream().filter(bulk()).toList();
        assertEquals(BULK, docs.size(), "round " + round);
        assertEquals(BULK, docs.stream().map(d -> ((Number) d.get("n")).intValue()).distinct().count(),
                "round " + round + ": no document twice");
    }

    private void assertSeedIntact(int round) {
        assertEquals(1, TestConvex.documents("items").stream().filter(d -> ((Number) d.get("n")).intValue() == 0).count(),
                "round " + round + ": 001's document untouched");
        assertFalse(statusOf001Missing(), "round " + round);
    }

    private boolean statusOf001Missing() {
        return ((List<?>) listApplied().get("applied")).stream().noneMatch(r -> "001".equals(((Map<?, ?>) r).get("version")));
    }

    /** "group/state" -> count. */
    private static Map<String, Long> itemsShape() {
        Map<String, Long> shape = new java.util.TreeMap<>();
        for (Map<String, Object> d : TestConvex.documents("items")) {
            shape.merge(((Number) d.get("group")).intValue() + "/" + d.get("state"), 1L, Long::sum);
        }
        return shape;
    }
}
