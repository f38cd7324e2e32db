package dev.cryoprotect.migrate.faults;

import dev.cryoprotect.migrate.Migrator;
import dev.cryoprotect.migrate.convex.ConvexClient;
import dev.cryoprotect.migrate.database.convex.ConvexTarget;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.source.DirectorySource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A Convex apply or rollback in a JVM of its own, for {@link ConvexKillSuiteTest} to kill: the core's own calls, with
 * small batches (100 ops) and, for {@code tight}, a per-mutation budget of 200 writes, so a run spans dozens of
 * mutations and a kill lands between any two of them. The lease is 2 s, so rounds need not wait long for it.
 * <p>
 * Arguments: {@code apply|rollback DIR default|tight [TARGET]}; CONVEX_URL and CONVEX_DEPLOY_KEY from the environment.
 */
public final class KilledConvexRun {
    private KilledConvexRun() {
    }

    public static void main(String[] args) {
        Map<String, Object> limits = args[2].equals("tight") ? Map.of("documentsRead", 24_000.0,
                "documentsWritten", 200.0, "bytesRead", 12e6, "bytesWritten", 8e6) : null;
        ConvexTarget.Options options = new ConvexTarget.Options(Duration.ofSeconds(2), Duration.ofMillis(100), limits,
                100, 2L << 20, 8L << 20);
        Version target = args.length > 3 ? Version.parse(args[3]) : null;
        RunResult result;
        try (ConvexTarget convex = new ConvexTarget(new ConvexClient(System.getenv("CONVEX_URL"),
                System.getenv("CONVEX_DEPLOY_KEY")), options)) {
            Migrator migrator = Migrator.configure().source(new DirectorySource(Path.of(args[1]))).target(convex)
                    .lockTimeout(Duration.ofSeconds(30)).load();
            result = args[0].equals("apply") ? migrator.apply(target, false) : migrator.rollback(target, false);
        }
        System.out.println(result.message());
        System.exit(result.success() ? 0 : 1);
    }
}
