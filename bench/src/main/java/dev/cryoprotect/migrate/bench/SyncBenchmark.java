package dev.cryoprotect.migrate.bench;

import dev.cryoprotect.migrate.convex.ConvexClient;
import dev.cryoprotect.migrate.convex.ConvexValues;
import dev.cryoprotect.migrate.database.postgres.PostgresConfig;
import dev.cryoprotect.migrate.local.LocalConvexBackend;
import dev.cryoprotect.migrate.model.MigrationSet;
import dev.cryoprotect.migrate.report.SyncSummary;
import dev.cryoprotect.migrate.sync.ConvexSyncSink;
import dev.cryoprotect.migrate.sync.PostgresTableReader;
import dev.cryoprotect.migrate.sync.SyncEngine;
import dev.cryoprotect.migrate.sync.SyncOptions;
import dev.cryoprotect.migrate.sync.SyncSink;
import dev.cryoprotect.migrate.sync.TableReader;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.postgresql.PGConnection;

import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Sync throughput on generated rows: {@code COPY ... TO STDOUT} (the floor PostgreSQL gives), the sync pipeline with
 * the Convex write replaced by discarding the encoded batches, and the full sync to the local Convex backend. Prints
 * rows/s, their ratios and peak heap. Run it with a small heap to show memory stays bounded:
 * <pre>java -Xmx256m -jar bench/target/bench.jar sync --rows 1000000</pre>
 */
final class SyncBenchmark {
    private SyncBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = 1_000_000;
        int passes = 2; // more for a profile of the steady state
        boolean convex = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rows" -> rows = Integer.parseInt(args[++i]);
                case "--no-convex" -> convex = false;
                case "--passes" -> passes = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("usage: SyncBenchmark [--rows N] [--passes N]"
                        + " [--no-convex]");
            }
        }
        System.out.printf("sync benchmark: %,d rows, max heap %d MiB, %d cores, JVM options %s%n", rows,
                Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getRuntimeMXBean().getInputArguments());
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            String url = pg.getJdbcUrl("postgres", "postgres");
            long started = System.nanoTime();
            try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE bench_rows (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2),"
                        + " active boolean, tags text[], payload jsonb, created_at timestamptz NOT NULL,"
                        + " updated_at timestamptz NOT NULL)");
                st.execute("INSERT INTO bench_rows SELECT g, 'row ' || g, (g % 100000) / 100.0, g % 2 = 0,"
                        + " ARRAY['a', 'b'], jsonb_build_object('n', g, 'kind', 'bench'),"
                        + " '2024-01-01'::timestamptz + g * interval '1 second', '2024-01-01'::timestamptz + g * interval '1 second'"
                        + " FROM generate_series(1, " + rows + ") g");
                // Hint bits and the visibility map set now, so no measurement below pays for the insert's aftermath.
                st.execute("VACUUM (FREEZE, ANALYZE) bench_rows");
            }
            System.out.printf("generated in %.1f s%n", (System.nanoTime() - started) / 1e9);

            // The floor: the best of three plain copies, each drained by the client as the sync's reader drains its own.
            double copyRate = 0;
            long copied = 0;
            for (int run = 0; run < 3; run++) {
                resetPeaks();
                started = System.nanoTime();
                try (Connection c = pg.getPostgresDatabase().getConnection()) {
                    copied = c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY bench_rows TO STDOUT",
                            OutputStream.nullOutputStream());
                }
                copyRate = Math.max(copyRate, copied / seconds(started));
            }
            System.out.printf("COPY TO STDOUT, best of 3: %,10.0f rows/s   (%,d rows, peak heap %d MiB)%n", copyRate,
                    copied, peakHeapMiB());

            PostgresConfig source = PostgresConfig.fromUrl(url, "public");
            resetPeaks();
            started = System.nanoTime();
            long[] read = {0};
            try (PostgresTableReader reader = new PostgresTableReader(source, SyncOptions.defaults())) {
                reader.read(reader.describe("public", "bench_rows", Map.of("bench_rows", "")), TableReader.Pass.ALL,
                        null, row -> ++read[0] > 0);
            }
            double readRate = read[0] / seconds(started);
            System.out.printf("read only (pages, typed): %,11.0f rows/s   (%,d rows, peak heap %d MiB)  %.2fx COPY%n",
                    readRate, read[0], peakHeapMiB(), readRate / copyRate);

            MigrationSet none = new MigrationSet(List.of(), Map.of(), List.of());
            SyncOptions options = SyncOptions.defaults().withTables(List.of("bench_rows"))
                    .withCursors(Map.of("bench_rows", ""));
            // At least twice: the first pass is what one `migrate sync` of the table costs (the JIT compiling as it
            // goes), the second the steady state of a long sync.
            for (int n = 1; n <= passes; n++) {
                String pass = n == 1 ? "first pass" : n == 2 ? "second pass" : "pass " + n;
                resetPeaks();
                started = System.nanoTime();
                long cpuStarted = cpuNanos();
                long compilingStarted = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
                SyncSummary discarded;
                try (PostgresTableReader reader = new PostgresTableReader(source, options)) {
                    discarded = new SyncEngine(reader, new DiscardSink(), none, options, SyncEngine.Progress.NONE).run();
                }
                double pipelineRate = discarded.totalCount() / seconds(started);
                System.out.printf("pipeline, discard sink, %s: %,9.0f rows/s   (%,d rows, peak heap %d MiB, %.1f s of"
                                + " this process's CPU, %.1f s of it compiling)  %.2fx COPY%n", pass, pipelineRate,
                        discarded.totalCount(), peakHeapMiB(), (cpuNanos() - cpuStarted) / 1e9,
                        (ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - compilingStarted) / 1e3,
                        pipelineRate / copyRate);
            }

            if (convex) {
                Path state = Bench.scratch("bench-convex");
                LocalConvexBackend backend = new LocalConvexBackend(Path.of("convex").toAbsolutePath(), state);
                LocalConvexBackend.Running running = backend.ensureRunning(Map.of("NODE_OPTIONS", "--max-old-space-size=6144"));
                try {
                    resetPeaks();
                    started = System.nanoTime();
                    SyncSummary synced;
                    try (PostgresTableReader reader = new PostgresTableReader(source, options)) {
                        synced = new SyncEngine(reader, new ConvexSyncSink(new ConvexClient(running.url(),
                                running.deployKey())), none, options, segments(rows)).run();
                    }
                    double convexRate = synced.totalCount() / seconds(started);
                    System.out.printf("sync to local Convex:    %,12.0f rows/s   (%,d rows, %,d failed, peak heap %d MiB)"
                                    + "  %.2fx COPY%n", convexRate, synced.successCount(), synced.failureCount(),
                            peakHeapMiB(), convexRate / copyRate);
                } finally {
                    backend.stop();
                }
            }
        }
    }

    /** The Convex write replaced by encoding the batch as the HTTP client would, then dropping it. */
    private static final class DiscardSink implements SyncSink {
        private final ConvexSyncSink encoder = new ConvexSyncSink(null); // encodes only; never calls Convex
        long bytes;

        @Override
        public Row row(String key, byte[] document) {
            return encoder.row(key, document);
        }

        @Override
        public Written write(String sourceTable, String targetTable, List<Row> rows) {
            try {
                bytes += ConvexClient.requestBody(ConvexClient.encodeBody("mutation", ConvexSyncSink.UPSERT,
                        ConvexSyncSink.upsertArgs(sourceTable, targetTable, rows))).contentLength();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return new Written(rows.size(), 0, 0);
        }

        @Override
        public Optional<Mark> mark(String sourceTable) {
            return Optional.empty();
        }

        @Override
        public void setMark(String sourceTable, String cursorColumn, String sourceSchema, List<String> mark) {
        }

        @Override
        public String claim(String sourceTable, String sourceSchema, String cursorColumn) {
            return sourceSchema;
        }

        @Override
        public List<String> keys(String sourceTable, String after, int limit) {
            return List.of();
        }

        @Override
        public long unmappedDocuments(String sourceTable) {
            return 0;
        }

        @Override
        public long delete(String sourceTable, List<String> keys) {
            return 0;
        }
    }

    private static double seconds(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    /**
     * Prints the rate of each tenth of the rows as it is written: a backend whose cost per row grows with its size
     * shows falling rates here, one whose indexes work shows flat ones.
     */
    private static SyncEngine.Progress segments(int rows) {
        long segment = Math.max(1, rows / 10);
        long[] last = {System.nanoTime(), 0};
        return (table, batch, read, written) -> {
            if (written - last[1] >= segment) {
                long now = System.nanoTime();
                System.out.printf("  rows %,9d to %,9d: %,7.0f rows/s%n", last[1], written,
                        (written - last[1]) / ((now - last[0]) / 1e9));
                last[0] = now;
                last[1] = written;
            }
        };
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static void resetPeaks() {
        System.gc();
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    private static long peakHeapMiB() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .mapToLong(p -> p.getPeakUsage().getUsed()).sum() >> 20;
    }
}
