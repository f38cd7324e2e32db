package dev.cryoprotect.migrate.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Whole processes, as a developer or CI runs them: {@code ./migrate status|apply|--help} (the repository's launcher,
 * with its JVM flags and class-data-sharing archive) against Flyway Community 13.12 in a process of its own on the same
 * N migrations (a table, a row and an index each), one embedded PostgreSQL, a fresh database per apply, the tools
 * alternating; median of the runs. Flyway's command-line package needs plugins that are not on Maven Central, so its
 * process is {@link FlywayProcess}: flyway-core's {@code migrate()} / {@code info()} behind a plain main, which is
 * Flyway's own work without its command line's start-up (a comparison in Flyway's favour). Beside them, a floor for
 * apply that no client can go under: every file's statements, each file between BEGIN and COMMIT, sent as one query
 * over one connection from this benchmark's own warm JVM, with no history, no lock and no process to start. With
 * {@code --rtt-ms N} every connection (both tools' and the floor's) goes through {@link DelayProxy}, a database that far.
 * With {@code --data-in DIR} (such as /dev/shm) the server keeps its files there: the host's disk, whose speed for
 * creating thousands of small files can change fourfold within the hour, then has no say in either tool's time.
 * <pre>java -jar bench/target/bench.jar processes --migrations 500 --runs 5
 *java -jar bench/target/bench.jar processes --migrations 100 --runs 3 --rtt-ms 20
 *java -jar bench/target/bench.jar processes --migrations 500 --runs 3 --data-in /dev/shm</pre>
 */
final class ProcessBenchmark {
    private ProcessBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int count = 500;
        int runs = 5;
        Path launcher = Path.of("migrate").toAbsolutePath();
        int rttMillis = 0;
        Path dataParent = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--migrations" -> count = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--launcher" -> launcher = Path.of(args[++i]).toAbsolutePath();
                case "--rtt-ms" -> rttMillis = Integer.parseInt(args[++i]);
                case "--data-in" -> dataParent = Path.of(args[++i]).toAbsolutePath();
                default -> throw new IllegalArgumentException("usage: processes [--migrations N] [--runs N]"
                        + " [--launcher PATH] [--rtt-ms N] [--data-in DIR]");
            }
        }
        Path ours = Bench.scratch("bench-ours");
        Path theirs = Bench.scratch("bench-flyway");
        for (int n = 1; n <= count; n++) {
            String sql = "CREATE TABLE t" + n + " (id int PRIMARY KEY, name text);\nINSERT INTO t" + n
                    + " VALUES (1, 'x');\nCREATE INDEX t" + n + "_name ON t" + n + " (name);\n";
            Files.writeString(ours.resolve(String.format("%04d_create_t%d.sql", n, n)), sql);
            Files.writeString(theirs.resolve("V" + n + "__create_t" + n + ".sql"), sql);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String benchJar = new File(ProcessBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .getPath();
        System.out.printf("process benchmark: %d migrations, %d runs each, alternating; launcher %s%s%s%n", count, runs,
                launcher, dataParent == null ? "" : "; the server's data in " + dataParent,
                rttMillis > 0 ? "; every connection through a link of " + rttMillis + " ms round trip" : "");
        List<Long> floorApply = new ArrayList<>();
        List<Long> oursApply = new ArrayList<>();
        List<Long> theirsApply = new ArrayList<>();
        List<Long> oursStatus = new ArrayList<>();
        List<Long> theirsInfo = new ArrayList<>();
        List<Long> oursHelp = new ArrayList<>();
        List<Long> theirsHelp = new ArrayList<>();
        String roundTrips = "";
        EmbeddedPostgres.Builder server = EmbeddedPostgres.builder();
        if (dataParent != null) { // e.g. /dev/shm: the host's disk then has no say in either tool's time
            server.setDataDirectory(Files.createTempDirectory(dataParent, "bench-pg")).setCleanDataDirectory(true);
        }
        try (EmbeddedPostgres pg = server.start();
             DelayProxy link = new DelayProxy(pg.getPort(), rttMillis)) {
            int port = rttMillis > 0 ? link.port() : pg.getPort();
            for (int run = 0; run <= runs; run++) { // run 0 warms caches and is not counted
                String ourDb = fresh(pg, "ours_" + run);
                String theirDb = fresh(pg, "flyway_" + run);
                String ourUrl = "postgresql://postgres:postgres@localhost:" + port + "/" + ourDb;
                String theirUrl = "jdbc:postgresql://localhost:" + port + "/" + theirDb;
                List<String> flyway = List.of(java, "-cp", benchJar, FlywayProcess.class.getName(), theirUrl,
                        theirs.toString());
                long trips0 = link.roundTrips();
                long a = time(List.of(launcher.toString(), "apply", "--migrations", ours.toString(), "--database-url",
                        ourUrl));
                long trips1 = link.roundTrips();
                long b = time(with(flyway, "migrate"));
                long trips2 = link.roundTrips();
                long floor = floor(pg, port, "floor_" + run, ours);
                long trips3 = link.roundTrips();
                long c = time(List.of(launcher.toString(), "status", "--migrations", ours.toString(),
                        "--database-url", ourUrl));
                long trips4 = link.roundTrips();
                long d = time(with(flyway, "info"));
                long trips5 = link.roundTrips();
                roundTrips = String.format("round trips (the last run): apply %d, flyway migrate %d, floor %d,"
                        + " status %d, flyway info %d", trips1 - trips0, trips2 - trips1, trips3 - trips2,
                        trips4 - trips3, trips5 - trips4);
                long e = time(List.of(launcher.toString(), "--help"));
                long f = time(with(flyway, "version"));
                if (run > 0) {
                    floorApply.add(floor);
                    oursApply.add(a);
                    theirsApply.add(b);
                    oursStatus.add(c);
                    theirsInfo.add(d);
                    oursHelp.add(e);
                    theirsHelp.add(f);
                }
            }
        }
        report("apply " + count + " / flyway migrate", oursApply, theirsApply);
        report("floor: the files in one query / migrate", floorApply, theirsApply);
        report("status on " + count + " applied / flyway info", oursStatus, theirsInfo);
        report("--help / flyway version", oursHelp, theirsHelp);
        if (rttMillis > 0) {
            System.out.println(roundTrips);
        }
    }

    private static List<String> with(List<String> base, String verb) {
        List<String> all = new ArrayList<>(base);
        all.add(verb);
        return all;
    }

    private static long time(List<String> command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().putAll(Map.of("USE_CONVEX", "false"));
        long started = System.nanoTime();
        Process p = pb.start();
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit "
                    + (p.isAlive() ? "timeout" : p.exitValue()) + ")");
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    }

    /**
     * The server's own time for the files, each between BEGIN and COMMIT, all in one query (which the driver sends in
     * pieces, waiting for the answers about every 256 statements): what is left when the client costs nothing.
     */
    private static long floor(EmbeddedPostgres pg, int port, String name, Path folder) throws Exception {
        fresh(pg, name);
        StringBuilder files = new StringBuilder();
        try (var listing = Files.list(folder)) {
            for (Path file : listing.sorted().toList()) {
                files.append("BEGIN; ").append(Files.readString(file)).append(" COMMIT;\n");
            }
        }
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/" + name
                + "?preferQueryMode=simple", "postgres", "postgres"); Statement st = c.createStatement()) {
            long started = System.nanoTime();
            st.execute(files.toString());
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        }
    }

    private static String fresh(EmbeddedPostgres pg, String name) throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + name);
            st.execute("CREATE DATABASE " + name);
        }
        return name;
    }

    private static void report(String what, List<Long> ours, List<Long> theirs) {
        long a = median(ours);
        long b = median(theirs);
        System.out.printf("%-40s this %6d ms   flyway %6d ms   ratio %.2f   (runs: %s / %s)%n", what, a, b,
                (double) a / b, ours, theirs);
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
