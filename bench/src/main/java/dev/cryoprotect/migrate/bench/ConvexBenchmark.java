package dev.cryoprotect.migrate.bench;

import dev.cryoprotect.migrate.Migrator;
import dev.cryoprotect.migrate.convex.ConvexClient;
import dev.cryoprotect.migrate.database.convex.ConvexTarget;
import dev.cryoprotect.migrate.local.LocalConvexBackend;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.source.DirectorySource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Convex data migration of N inserts ({@code "batched": true}) against the local Convex backend, then its rollback:
 * documents per second for each.
 * <pre>java -jar bench/target/bench.jar convex --inserts 50000</pre>
 */
final class ConvexBenchmark {
    private ConvexBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int inserts = 50_000;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--inserts")) {
                inserts = Integer.parseInt(args[++i]);
            } else {
                throw new IllegalArgumentException("usage: convex [--inserts N]");
            }
        }
        Path dir = Bench.scratch("bench-convex-migration");
        StringBuilder json = new StringBuilder("{\"version\": \"001\", \"batched\": true, \"schema\": {\"items\":"
                + " {\"n\": \"number\", \"label\": \"string\"}}, \"data\": [");
        for (int n = 0; n < inserts; n++) {
            json.append(n == 0 ? "" : ",").append("{\"type\": \"insert\", \"table\": \"items\", \"data\": {\"n\": ")
                    .append(n).append(", \"label\": \"item ").append(n).append("\"}}");
        }
        Files.writeString(dir.resolve("001_bulk_items.json"), json.append("]}").toString());
        LocalConvexBackend backend = new LocalConvexBackend(Path.of("convex").toAbsolutePath(),
                Bench.scratch("bench-convex"));
        LocalConvexBackend.Running running = backend.ensureRunning(Map.of("NODE_OPTIONS", "--max-old-space-size=6144"));
        try (ConvexTarget target = new ConvexTarget(new ConvexClient(running.url(), running.deployKey()),
                ConvexTarget.Options.defaults())) {
            Migrator migrator = Migrator.configure().source(new DirectorySource(dir)).target(target).load();
            long t = System.nanoTime();
            RunResult applied = migrator.apply(null, false);
            double applySeconds = (System.nanoTime() - t) / 1e9;
            if (!applied.success()) {
                throw new IllegalStateException(applied.message() + ": " + applied.error().message());
            }
            t = System.nanoTime();
            RunResult rolledBack = migrator.rollback(null, false);
            double rollbackSeconds = (System.nanoTime() - t) / 1e9;
            if (!rolledBack.success()) {
                throw new IllegalStateException(rolledBack.message() + ": " + rolledBack.error().message());
            }
            System.out.printf("Convex data migration, %,d inserts (batched, 500 ops per mutation), local backend:%n", inserts);
            System.out.printf("  apply    %6.1f s   %,8.0f docs/s%n", applySeconds, inserts / applySeconds);
            System.out.printf("  rollback %6.1f s   %,8.0f docs/s%n", rollbackSeconds, inserts / rollbackSeconds);
        } finally {
            backend.stop();
        }
    }
}
