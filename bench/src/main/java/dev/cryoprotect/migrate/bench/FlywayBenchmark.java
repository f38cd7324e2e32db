package dev.cryoprotect.migrate.bench;

import dev.cryoprotect.migrate.Migrator;
import dev.cryoprotect.migrate.database.postgres.PostgresConfig;
import dev.cryoprotect.migrate.database.postgres.PostgresTarget;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.source.DirectorySource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.flywaydb.core.Flyway;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Applies the same N trivial SQL migrations to fresh databases with this project and with Flyway Community (its
 * defaults), alternating, and times {@code status} / {@code info} on the N applied migrations. Prints medians and ratios.
 * <pre>java -jar bench/target/bench.jar flyway --migrations 500 --runs 5</pre>
 */
final class FlywayBenchmark {
    private FlywayBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int count = 500;
        int runs = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--migrations" -> count = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("usage: flyway [--migrations N] [--runs N]");
            }
        }
        // Flyway logs every migration through java.util.logging; the figures are what matters here.
        java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
        for (java.util.logging.Handler h : java.util.logging.Logger.getLogger("").getHandlers()) {
            h.setLevel(java.util.logging.Level.WARNING);
        }
        Path ours = Bench.scratch("bench-ours");
        Path theirs = Bench.scratch("bench-flyway");
        for (int n = 1; n <= count; n++) {
            String sql = "CREATE TABLE t" + n + " (id int PRIMARY KEY, name text);\nINSERT INTO t" + n + " VALUES (1, 'x');\n";
            Files.writeString(ours.resolve(String.format("%04d_create_t%d.sql", n, n)), sql);
            Files.writeString(theirs.resolve("V" + n + "__create_t" + n + ".sql"), sql);
        }
        System.out.printf("flyway benchmark: %d migrations, %d runs each, alternating; %s%n", count, runs,
                Flyway.class.getPackage().getImplementationVersion() == null ? "Flyway 13.12.0"
                        : "Flyway " + Flyway.class.getPackage().getImplementationVersion());
        List<Double> oursApply = new ArrayList<>();
        List<Double> theirsApply = new ArrayList<>();
        List<Double> oursStatus = new ArrayList<>();
        List<Double> theirsInfo = new ArrayList<>();
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            for (int run = 0; run < runs + 1; run++) { // run 0 warms both up and is not counted
                String ourDb = fresh(pg, "ours_" + run);
                String theirDb = fresh(pg, "flyway_" + run);
                boolean oursFirst = run % 2 == 0;
                for (int side = 0; side < 2; side++) {
                    if ((side == 0) == oursFirst) {
                        long t = System.nanoTime();
                        try (PostgresTarget target = new PostgresTarget(PostgresConfig.fromUrl(ourDb, "public"))) {
                            RunResult r = Migrator.configure().source(new DirectorySource(ours)).target(target).load()
                                    .apply(null, false);
                            if (!r.success() || r.steps().size() != count) {
                                throw new IllegalStateException("our apply failed: " + r.message());
                            }
                        }
                        double applied = ms(t);
                        t = System.nanoTime();
                        try (PostgresTarget target = new PostgresTarget(PostgresConfig.fromUrl(ourDb, "public"))) {
                            Migrator.configure().source(new DirectorySource(ours)).target(target).load().status();
                        }
                        double status = ms(t);
                        if (run > 0) {
                            oursApply.add(applied);
                            oursStatus.add(status);
                        }
                    } else {
                        long t = System.nanoTime();
                        Flyway flyway = Flyway.configure().dataSource(theirDb, "postgres", null)
                                .locations("filesystem:" + theirs).load();
                        int applied = flyway.migrate().migrationsExecuted;
                        if (applied != count) {
                            throw new IllegalStateException("flyway applied " + applied);
                        }
                        double apply = ms(t);
                        t = System.nanoTime();
                        Flyway.configure().dataSource(theirDb, "postgres", null).locations("filesystem:" + theirs).load()
                                .info().all();
                        double info = ms(t);
                        if (run > 0) {
                            theirsApply.add(apply);
                            theirsInfo.add(info);
                        }
                    }
                }
            }
        }
        double a = median(oursApply);
        double b = median(theirsApply);
        double s = median(oursStatus);
        double f = median(theirsInfo);
        System.out.printf("apply %d:   this project %8.0f ms   Flyway %8.0f ms   ratio %.2f (this/Flyway; < 1 is faster)%n",
                count, a, b, a / b);
        System.out.printf("status %d:  this project %8.0f ms   Flyway info %5.0f ms   ratio %.2f%n", count, s, f, s / f);
        System.out.printf("runs (ms): ours %s | flyway %s | status %s | info %s%n", oursApply, theirsApply, oursStatus,
                theirsInfo);
    }

    private static String fresh(EmbeddedPostgres pg, String name) throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        }
        return pg.getJdbcUrl("postgres", name);
    }

    private static double ms(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1e6;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
