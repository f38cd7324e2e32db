package dev.cryoprotect.migrate.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;

/** {@code java -jar bench/target/bench.jar flyway|processes|sync|coldstart|convex|s3 [options]}: one benchmark, its figures printed. */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: bench flyway|processes|sync|coldstart|convex|s3 [options]  (see BENCHMARKS.md)");
            System.exit(2);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "flyway" -> FlywayBenchmark.main(rest);
            case "sync" -> SyncBenchmark.main(rest);
            case "coldstart" -> ColdStartBenchmark.main(rest);
            case "convex" -> ConvexBenchmark.main(rest);
            case "s3" -> S3SourceBenchmark.main(rest);
            case "processes" -> ProcessBenchmark.main(rest);
            default -> {
                System.err.println("unknown benchmark " + args[0]);
                System.exit(2);
            }
        }
    }

    /** A temporary folder for one run, deleted with everything in it when the benchmark's process ends. */
    static Path scratch(String prefix) throws IOException {
        Path dir = Files.createTempDirectory(prefix);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try (var all = Files.walk(dir)) {
                all.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException | RuntimeException e) {
                // a leftover in the temporary directory, nothing more
            }
        }));
        return dir;
    }
}
