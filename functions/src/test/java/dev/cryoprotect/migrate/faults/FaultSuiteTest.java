package dev.cryoprotect.migrate.faults;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.Migrator;
import dev.cryoprotect.migrate.cli.CliAccess;
import dev.cryoprotect.migrate.convex.ConvexClient;
import dev.cryoprotect.migrate.database.convex.ConvexTarget;
import dev.cryoprotect.migrate.model.MigrationSet;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.report.SyncSummary;
import dev.cryoprotect.migrate.source.DirectorySource;
import dev.cryoprotect.migrate.sync.ConvexSyncSink;
import dev.cryoprotect.migrate.sync.PostgresTableReader;
import dev.cryoprotect.migrate.sync.SyncEngine;
import dev.cryoprotect.migrate.sync.SyncOptions;
import dev.cryoprotect.migrate.testing.MigrationFiles;
import dev.cryoprotect.migrate.testing.TestConvex;
import dev.cryoprotect.migrate.testing.TestPostgres;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Faults under load, on loopback only, bounded in count and time: concurrent runners, kill -9 mid-run, and a Convex
 * backend that refuses, fails or stalls. Afterwards every database must be at a version boundary, every migration
 * applied exactly once, every lock free.
 */
class FaultSuiteTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;
    private String url;
    private Map<String, String> env;

    @BeforeEach
    void setUp() {
        url = TestPostgres.newDatabase();
        TestConvex.reset();
        env = new HashMap<>(TestConvex.environment());
        env.put("CONVEX_LEASE_SECONDS", "2");
    }

    /** N versions, each a table in Supabase and a document in Convex; {@code {i}} in {@code sqlExtra} is the version's number. */
    private void versions(int n, String sqlExtra) {
        MigrationFiles files = new MigrationFiles(dir);
        for (int i = 1; i <= n; i++) {
            String v = String.format("%03d", i);
            files.write(v + "_step_" + i + ".sql", "CREATE TABLE t" + i + " (id int PRIMARY KEY);\nINSERT INTO t" + i
                    + " VALUES (" + i + ");\n" + sqlExtra.replace("{i}", String.valueOf(i)));
            files.write(v + "_step_" + i + ".down.sql", "DROP TABLE t" + i + ";\n");
            files.write(v + "_step_" + i + ".json", "{\"version\": \"" + v + "\", \"schema\": {\"steps\": {\"n\": \"number\"}},"
                    + " \"data\": [{\"type\": \"insert\", \"table\": \"steps\", \"data\": {\"n\": " + i + "}}]}");
        }
    }

    private List<String> command(String... args) {
        List<String> c = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.cryoprotect.migrate.app.Main"));
        c.addAll(List.of(args));
        return c;
    }

    private Process start(String... args) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(args));
        pb.environment().putAll(env);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD); // notices such as "waiting for the lock"; stdout is the result
        return pb.start();
    }

    /** Supabase's applied versions (sorted) and the tables they made. */
    private List<Integer> supabaseVersions() {
        if (TestPostgres.query(url, "SELECT to_regclass('public.migrations') IS NULL").equals(List.of("t"))) {
            return List.of(); // never touched: no history table yet
        }
        return TestPostgres.query(url, "SELECT version FROM migrations ORDER BY version::int").stream()
                .map(Integer::parseInt).toList();
    }

    private List<Integer> convexVersions() {
        Map<?, ?> applied = (Map<?, ?>) TestConvex.client().query("migrations/runner:listApplied", Map.of());
        return ((List<?>) applied.get("applied")).stream().map(r -> Integer.parseInt((String) ((Map<?, ?>) r).get("version")))
                .sorted().toList();
    }

    private static void assertPrefix(List<Integer> versions, String what) {
        for (int i = 0; i < versions.size(); i++) {
            assertEquals(i + 1, versions.get(i), what + " is at a version boundary with no gaps: " + versions);
        }
    }

    /**
     * The history and the tables, read in one statement (one snapshot): a killed run's server session may still be
     * finishing files the run had sent before it died, each whole with its history row, until it notices.
     */
    private void assertSupabaseMatchesHistory() {
        if (TestPostgres.query(url, "SELECT to_regclass('public.migrations') IS NULL").equals(List.of("t"))) {
            assertEquals(List.of("0"), TestPostgres.query(url, "SELECT count(*) FROM pg_tables WHERE schemaname ="
                    + " 'public' AND tablename ~ '^t[0-9]+$'"), "no table without the history table");
            return;
        }
        String[] both = TestPostgres.query(url, "SELECT (SELECT coalesce(string_agg(version, ',' ORDER BY"
                + " version::int), '') FROM migrations) || '|' || (SELECT count(*) FROM pg_tables WHERE schemaname ="
                + " 'public' AND tablename ~ '^t[0-9]+$')").get(0).split("\\|", -1);
        List<Integer> versions = both[0].isEmpty() ? List.of()
                : java.util.Arrays.stream(both[0].split(",")).map(Integer::parseInt).toList();
        assertPrefix(versions, "Supabase");
        assertEquals(versions.size(), Integer.parseInt(both[1]), "one table per applied version, none half-made");
    }

    private void assertConvexMatchesHistory() {
        List<Integer> versions = convexVersions();
        assertPrefix(versions, "Convex");
        List<Map<String, Object>> docs = TestConvex.documents("steps");
        assertEquals(versions.size(), docs.size(), "one document per applied version: " + docs.size());
        assertEquals(versions.size(), docs.stream().map(d -> d.get("n")).distinct().count(), "none applied twice");
    }

    @Test
    void eightConcurrentAppliesFourThreadsAndFourProcessesApplyEachMigrationOnce() throws Exception {
        versions(12, "");
        String[] args = {"apply", "--migrations", dir.toString(), "--database-url", url, "--lock-timeout", "120",
                "--format", "json"};
        List<Process> processes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            processes.add(start(args));
        }
        ExecutorService threads = Executors.newFixedThreadPool(4);
        List<Future<String>> inProcess = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            inProcess.add(threads.submit(() -> {
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                int code = CliAccess.run(args, env, out, err);
                assertEquals(0, code, out + "\n" + err);
                return out.toString();
            }));
        }
        List<String> outputs = new ArrayList<>();
        for (Process p : processes) {
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(180, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), out);
            outputs.add(out);
        }
        for (Future<String> f : inProcess) {
            outputs.add(f.get(180, TimeUnit.SECONDS));
        }
        threads.shutdown();
        Map<String, Integer> appliedSteps = new HashMap<>(Map.of("supabase", 0, "convex", 0));
        for (String out : outputs) {
            JsonNode result = JSON.readTree(out);
            for (String database : List.of("supabase", "convex")) {
                for (JsonNode step : result.get(database).get("steps")) {
                    if (step.get("outcome").asText().equals("applied")) {
                        appliedSteps.merge(database, 1, Integer::sum);
                    }
                }
            }
        }
        assertEquals(Map.of("supabase", 12, "convex", 12), appliedSteps,
                "across all 8 runners, each migration was applied exactly once per database");
        assertEquals(12, supabaseVersions().size());
        assertEquals(12, convexVersions().size());
        assertSupabaseMatchesHistory();
        assertConvexMatchesHistory();
    }

    /**
     * Twice {@code kill.rounds} rounds (24 by default), alternating the databases: start an apply of 50 migrations in its own JVM, wait until the database shows a random number of
     * them applied (0: kill at a random moment of the start-up), SIGKILL it, check the database, finish the apply.
     * Kills are timed by observed progress, so they land mid-run however fast this machine is.
     */
    @Test
    void killNineAtRandomPointsLeavesEachDatabaseAtABoundaryAndTheNextApplyFinishes() throws Exception {
        Random random = new Random(20261125);
        int midRun = 0;
        int killedAfterProgress = 0;
        for (int round = 0; round < 2 * ConvexKillSuiteTest.ROUNDS; round++) {
            String database = round % 2 == 0 ? "supabase" : "convex";
            // Every other Supabase round, files of plain statements only, which go to the server many at a time.
            versions(50, round % 4 == 2 ? "INSERT INTO t{i} SELECT -1 FROM pg_sleep(0.03);\n" : "SELECT pg_sleep(0.03);\n");
            url = TestPostgres.newDatabase();
            TestConvex.reset();
            int killAfter = random.nextInt(41); // 0..40 of the 50 applied
            Process p = start("apply", "--migrations", dir.toString(), "--database-url", url, "--database", database);
            if (killAfter == 0) {
                Thread.sleep(random.nextInt(1500));
            } else {
                killedAfterProgress++;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (applied(database) < killAfter) {
                    assertTrue(p.isAlive() && System.nanoTime() < deadline, "round " + round + ": the apply stopped"
                            + " before reaching " + killAfter + " migrations");
                    Thread.sleep(5);
                }
            }
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no lock release, no goodbye
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertSupabaseMatchesHistory();
            assertConvexMatchesHistory();
            int applied = applied(database);
            if (applied > 0 && applied < 50) {
                midRun++;
            }
            // The session lock went with the killed connection; the Convex lease expires within CONVEX_LEASE_SECONDS.
            String[] finish = {"apply", "--migrations", dir.toString(), "--database-url", url, "--database", database,
                    "--lock-timeout", "30"};
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            assertEquals(0, CliAccess.run(finish, env, out, err), "round " + round + ": " + out + "\n" + err);
            assertEquals(50, applied(database));
            assertSupabaseMatchesHistory();
            assertConvexMatchesHistory();
        }
        assertTrue(midRun >= killedAfterProgress, "every kill timed by progress landed mid-run: " + midRun + " of "
                + killedAfterProgress);
        assertEquals(List.of("0"), TestPostgres.query(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"));
    }

    /** A file with its own BEGIN/COMMIT, killed in the middle: nothing of it remains, and the next apply runs it. */
    @Test
    void killNineInsideAWrappedFileLeavesNothingOfIt() throws Exception {
        MigrationFiles files = new MigrationFiles(dir);
        files.write("001_first.sql", "CREATE TABLE t1 (id int PRIMARY KEY);\n");
        files.write("002_wrapped.sql", "begin;\ncreate table w (id int);\ninsert into w values (1);\n"
                + "select pg_sleep(2);\ninsert into w values (2);\ncommit;\n");
        Process p = start("apply", "--migrations", dir.toString(), "--database-url", url, "--database", "supabase");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (TestPostgres.query(url, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'select pg_sleep(2)%'"
                + " AND state = 'active'").equals(List.of("0"))) {
            assertTrue(p.isAlive() && System.nanoTime() < deadline, "the apply never reached the sleep");
            Thread.sleep(20);
        }
        p.destroyForcibly(); // SIGKILL while the server runs the file's third statement
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        while (!TestPostgres.query(url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'migrate'")
                .equals(List.of("0"))) {
            assertTrue(System.nanoTime() < deadline, "the killed run's session never ended");
            Thread.sleep(50); // the server notices the dead client when the statement ends, and rolls back
        }
        assertEquals(List.of(1), supabaseVersions());
        assertEquals(List.of("t1"), TestPostgres.tables(url, "public").stream().filter(t -> !t.equals("migrations")).toList(),
                "nothing of 002 remains");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, CliAccess.run(new String[]{"apply", "--migrations", dir.toString(), "--database-url", url,
                "--database", "supabase"}, env, out, err), out + "\n" + err);
        assertEquals(List.of("2"), TestPostgres.query(url, "SELECT count(*) FROM w"));
    }

    private int applied(String database) {
        return database.equals("supabase") ? supabaseVersions().size() : convexVersions().size();
    }

    /**
     * A proxy in front of the local Convex backend that, per request path, forwards and then drops the answer (HTTP
     * 500 after the function committed), or forwards and answers only after the client's timeout.
     */
    private static final class FaultyConvex implements AutoCloseable {
        final HttpServer server;
        final AtomicInteger faults = new AtomicInteger();
        volatile String mode = "none";
        volatile int everyNth = 2;
        /**
         * At most this many faults for one request (its retries carry the same body): with several batches in flight
         * the global count alone can hit every retry of one unlucky batch, which would test luck, not the sync.
         */
        volatile int maxFaultsPerRequest = Integer.MAX_VALUE;
        private final AtomicInteger seen = new AtomicInteger();
        private final Map<Integer, AtomicInteger> faultsByRequest = new java.util.concurrent.ConcurrentHashMap<>();
        private final HttpClient http = HttpClient.newHttpClient();

        FaultyConvex() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.setExecutor(Executors.newFixedThreadPool(8));
            server.createContext("/", exchange -> {
                byte[] body;
                try (InputStream in = exchange.getRequestBody()) {
                    body = in.readAllBytes();
                }
                HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create(TestConvex.backend().url()
                        + exchange.getRequestURI())).method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
                String auth = exchange.getRequestHeaders().getFirst("Authorization");
                if (auth != null) {
                    forward.header("Authorization", auth);
                }
                forward.header("Content-Type", "application/json");
                boolean fault = !mode.equals("none") && exchange.getRequestURI().getPath().equals("/api/mutation")
                        && seen.incrementAndGet() % everyNth == 0 && faultsByRequest.computeIfAbsent(
                        java.util.Arrays.hashCode(body), k -> new AtomicInteger()).incrementAndGet() <= maxFaultsPerRequest;
                try {
                    HttpResponse<byte[]> response = http.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
                    if (fault && mode.equals("500-after-commit")) {
                        faults.incrementAndGet();
                        reply(exchange, 500, "Internal Server Error (injected after the function ran)".getBytes());
                        return;
                    }
                    if (fault && mode.equals("slow")) {
                        faults.incrementAndGet();
                        Thread.sleep(2_500);
                    }
                    reply(exchange, response.statusCode(), response.body());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (IOException e) {
                    // the client gave up (timeout) while we stalled: nothing to answer
                } finally {
                    exchange.close();
                }
            });
            server.start();
        }

        private static void reply(com.sun.net.httpserver.HttpExchange exchange, int status, byte[] body) throws IOException {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private RunResult applyConvex(ConvexClient client) {
        try (ConvexTarget target = new ConvexTarget(client, ConvexTarget.Options.defaults())) {
            return Migrator.configure().source(new DirectorySource(dir)).target(target).lockTimeout(Duration.ofSeconds(10))
                    .load().apply(null, false);
        }
    }

    @Test
    void answersLostAfterCommitAreRetriedAndNothingIsAppliedTwice() throws Exception {
        versions(10, "");
        try (FaultyConvex proxy = new FaultyConvex()) {
            proxy.mode = "500-after-commit";
            RunResult result = applyConvex(new ConvexClient(proxy.url(), TestConvex.backend().deployKey(),
                    Duration.ofSeconds(5), 4, Duration.ofMillis(20)));
            assertTrue(result.success(), result.message());
            assertTrue(proxy.faults.get() >= 5, "faults were injected: " + proxy.faults.get());
        }
        assertEquals(10, convexVersions().size());
        assertConvexMatchesHistory();
    }

    @Test
    void responsesPastTheTimeoutAreRetriedAndNothingIsAppliedTwice() throws Exception {
        versions(4, "");
        try (FaultyConvex proxy = new FaultyConvex()) {
            proxy.mode = "slow";
            proxy.everyNth = 3;
            RunResult result = applyConvex(new ConvexClient(proxy.url(), TestConvex.backend().deployKey(),
                    Duration.ofMillis(800), 4, Duration.ofMillis(20)));
            assertTrue(result.success(), result.message());
            assertTrue(proxy.faults.get() >= 1);
        }
        assertEquals(4, convexVersions().size());
        assertConvexMatchesHistory();
    }

    @Test
    void aBackendThatKeepsFailingIsAClearErrorAndAppliesNothingTwice() throws Exception {
        versions(3, "");
        try (FaultyConvex proxy = new FaultyConvex()) {
            proxy.mode = "500-after-commit";
            proxy.everyNth = 1; // every mutation's answer is lost
            MigrateException e = assertThrows(MigrateException.class, () -> applyConvex(new ConvexClient(proxy.url(),
                    TestConvex.backend().deployKey(), Duration.ofSeconds(5), 2, Duration.ofMillis(10))));
            assertEquals(Failure.UNREACHABLE, e.failure());
            assertTrue(e.getMessage().contains("HTTP 500") && e.getMessage().contains("after 3 attempts"), e.getMessage());
        }
        assertConvexMatchesHistory();
    }

    @Test
    void aRefusedConnectionIsUnreachableAndChangesNothing() {
        versions(3, "");
        MigrateException e = assertThrows(MigrateException.class, () -> applyConvex(new ConvexClient("http://127.0.0.1:1",
                TestConvex.backend().deployKey(), Duration.ofSeconds(2), 2, Duration.ofMillis(10))));
        assertEquals(Failure.UNREACHABLE, e.failure());
        assertTrue(e.getMessage().contains("cannot reach Convex at http://127.0.0.1:1"), e.getMessage());
        assertEquals(List.of(), convexVersions());
    }

    @Test
    void syncThroughLostAnswersAndStallsEndsEqualToTheSourceWithoutDuplicates() throws Exception {
        TestPostgres.execute(url, "CREATE TABLE rows_ (id int PRIMARY KEY, v text); INSERT INTO rows_"
                + " SELECT g, 'v' || g FROM generate_series(1, 1500) g");
        try (FaultyConvex proxy = new FaultyConvex()) {
            proxy.mode = "500-after-commit";
            proxy.maxFaultsPerRequest = 2; // the client's 5 attempts always outlast the faults
            ConvexClient client = new ConvexClient(proxy.url(), TestConvex.backend().deployKey(), Duration.ofSeconds(5), 4,
                    Duration.ofMillis(20));
            SyncSummary summary = syncRows(client, 3);
            assertEquals(0, summary.failureCount(), summary.toString());
            assertTrue(proxy.faults.get() >= 5);
        }
        List<Map<String, Object>> docs = TestConvex.documents("rows_");
        assertEquals(1500, docs.size());
        assertEquals(1500, docs.stream().map(d -> d.get("id")).distinct().count());

        // Then answers that come back after the client's timeout, on a re-run that updates 300 rows.
        TestPostgres.execute(url, "UPDATE rows_ SET v = 'changed' WHERE id <= 300");
        try (FaultyConvex proxy = new FaultyConvex()) {
            proxy.mode = "slow";
            proxy.everyNth = 2;
            proxy.maxFaultsPerRequest = 2;
            ConvexClient client = new ConvexClient(proxy.url(), TestConvex.backend().deployKey(), Duration.ofMillis(1500),
                    4, Duration.ofMillis(20));
            SyncSummary summary = syncRows(client, 2);
            assertEquals(0, summary.failureCount(), summary.toString());
            assertTrue(proxy.faults.get() >= 1);
        }
        docs = TestConvex.documents("rows_");
        assertEquals(1500, docs.size(), "still one document per row");
        assertEquals(300, docs.stream().filter(d -> "changed".equals(d.get("v"))).count());

        // And a backend that refuses connections: the sync stops with a clear error (exit 4), nothing else changes.
        dev.cryoprotect.migrate.MigrateException refused = org.junit.jupiter.api.Assertions.assertThrows(
                dev.cryoprotect.migrate.MigrateException.class, () -> syncRows(new ConvexClient("http://127.0.0.1:1",
                        TestConvex.backend().deployKey(), Duration.ofSeconds(1), 1, Duration.ofMillis(10)), 4));
        assertEquals(dev.cryoprotect.migrate.Failure.UNREACHABLE, refused.failure());
        assertTrue(refused.getMessage().contains("cannot reach Convex at http://127.0.0.1:1"), refused.getMessage());
        assertEquals(1500, TestConvex.documents("rows_").size());
    }

    /** Syncs table rows_ through {@code client} in batches of 100, {@code inFlight} at once. */
    private SyncSummary syncRows(ConvexClient client, int inFlight) {
        SyncOptions options = SyncOptions.defaults().withTables(List.of("rows_")).withBatching(100, 1 << 20, inFlight);
        try (PostgresTableReader reader = new PostgresTableReader(TestPostgres.config(url), options)) {
            return new SyncEngine(reader, new ConvexSyncSink(client), new MigrationSet(List.of(), Map.of(), List.of()),
                    options, SyncEngine.Progress.NONE).run();
        }
    }
}
