package dev.cryoprotect.migrate.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Cold start of the Lambda jar: N fresh JVMs, each loading {@code MigrationStatus} from functions/target/
 * migrate-lambda.jar alone and answering one status event against embedded PostgreSQL (S3 and Convex off: their
 * clients are built lazily on first use). Prints the median time from JVM start to the response, the jar's size and
 * what is largest in it.
 * <pre>java -jar bench/target/bench.jar coldstart --runs 5</pre>
 */
final class ColdStartBenchmark {
    private ColdStartBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int runs = 5;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--runs")) {
                runs = Integer.parseInt(args[++i]);
            } else {
                throw new IllegalArgumentException("usage: coldstart [--runs N]");
            }
        }
        Path jar = Path.of("functions/target/migrate-lambda.jar");
        Path launcher = Path.of(ColdStart.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path launcherDir = Bench.scratch("coldstart");
        Path classFile = launcherDir.resolve("dev/cryoprotect/migrate/bench/ColdStart.class");
        Files.createDirectories(classFile.getParent());
        try (ZipFile benchJar = new ZipFile(launcher.toFile())) {
            Files.copy(benchJar.getInputStream(benchJar.getEntry("dev/cryoprotect/migrate/bench/ColdStart.class")), classFile);
        }
        Map<String, List<long[]>> byMode = new java.util.LinkedHashMap<>();
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            for (int run = 0; run < runs; run++) {
                for (String mode : List.of("cold", "restored")) {
                    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java")
                            .toString(), "-XX:+TieredCompilation", "-XX:TieredStopAtLevel=1",
                            "-cp", jar + java.io.File.pathSeparator + launcherDir,
                            "dev.cryoprotect.migrate.bench.ColdStart", "dev.cryoprotect.migrate.lambda.MigrationStatus",
                            "{\"database\": \"supabase\"}", mode);
                    pb.environment().put("SUPABASE_DB_URL", pg.getJdbcUrl("postgres", "postgres"));
                    pb.environment().put("USE_CONVEX", "false");
                    pb.environment().put("MIGRATIONS_DIR", "migrations");
                    pb.environment().remove("MIGRATIONS_BUCKET");
                    pb.redirectErrorStream(true);
                    Process p = pb.start();
                    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    p.waitFor();
                    String line = out.lines().filter(l -> l.startsWith("COLDSTART_MS")).findFirst()
                            .orElseThrow(() -> new IllegalStateException("no result: " + out));
                    if (!line.endsWith(" OK")) {
                        throw new IllegalStateException(line);
                    }
                    String[] f = line.split(" ");
                    byMode.computeIfAbsent(mode, m -> new ArrayList<>()).add(new long[]{Long.parseLong(f[1]),
                            Long.parseLong(f[3]), Long.parseLong(f[5])});
                }
            }
        }
        List<long[]> cold = byMode.get("cold");
        List<long[]> restored = byMode.get("restored");
        System.out.printf("without SnapStart (%d runs, flags as template.yaml): init %s ms, first invoke %s ms,"
                + " JVM start to first response %s ms%n", runs, median(cold, 1), median(cold, 2), median(cold, 0));
        System.out.printf("first invoke after a SnapStart restore, primed (simulated; Lambda's snapshot restore itself"
                + " not included): %s ms; unprimed first invoke, for comparison: %s ms%n", median(restored, 2),
                median(cold, 2));
        System.out.printf("Lambda jar: %s, %.1f MiB%n", jar, Files.size(jar) / 1048576.0);
        largest(jar);
    }

    /** "median (min..max)" of one column. */
    private static String median(List<long[]> rows, int column) {
        List<Long> values = new ArrayList<>(rows.stream().map(r -> r[column]).toList());
        Collections.sort(values);
        return values.get(values.size() / 2) + " (" + values.get(0) + ".." + values.get(values.size() - 1) + ")";
    }

    /** Compressed bytes per top-level library in the jar, largest first. */
    private static void largest(Path jar) throws IOException {
        Map<String, Long> bySource = new HashMap<>();
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (ZipEntry e : Collections.list(zip.entries())) {
                String[] parts = e.getName().split("/");
                String key = parts.length <= 2 ? parts[0]
                        : parts[0].equals("software") ? String.join("/", java.util.Arrays.copyOf(parts, Math.min(4, parts.length - 1)))
                        : String.join("/", java.util.Arrays.copyOf(parts, Math.min(3, parts.length - 1)));
                bySource.merge(key, e.getCompressedSize(), Long::sum);
            }
        }
        System.out.println("largest in it (compressed):");
        bySource.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())).limit(12)
                .forEach(e -> System.out.printf("  %-45s %6.2f MiB%n", e.getKey(), e.getValue() / 1048576.0));
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (String banned : List.of("io/netty/", "org/apache/http/", "org/apache/hc/", "software/amazon/awssdk/http/apache/",
                    "software/amazon/awssdk/http/nio/")) {
                boolean present = Collections.list(zip.entries()).stream().anyMatch(e -> e.getName().startsWith(banned));
                System.out.printf("  %-45s %s%n", banned, present ? "PRESENT" : "absent");
            }
        }
    }
}
