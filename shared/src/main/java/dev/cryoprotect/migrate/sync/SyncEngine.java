package dev.cryoprotect.migrate.sync;

import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.MigrationSet;
import dev.cryoprotect.migrate.model.TableSchema;
import dev.cryoprotect.migrate.report.SyncSummary;
import dev.cryoprotect.migrate.sync.TableReader.Pass;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Syncs Supabase tables to Convex, table by table: describe it ({@link TableReader}), read it in order (with a cursor
 * column: rows without a cursor value, then rows after the stored high-water mark), convert each row
 * ({@link RowConverter}), send batches ({@link OrderedBatchWriter}) to the {@link SyncSink}, and with prune, delete the
 * documents whose rows are gone. A table that fails is reported and the others still sync.
 */
public final class SyncEngine {
    private static final int MAX_REJECTIONS_LISTED = 50;
    private static final int PRUNE_PAGE = 1000;

    /** Told as batches commit; the CLI draws a progress line, Lambda logs periodic JSON events. */
    public interface Progress {
        void batchCommitted(String table, long batch, long rowsRead, long rowsWritten);

        Progress NONE = (table, batch, read, written) -> { };
    }

    private final TableReader reader;
    private final SyncSink sink;
    private final MigrationSet declared;
    private final SyncOptions options;
    private final Progress progress;

    /**
     * @param sink     where rows go; null only for a dry run without a Convex deployment
     * @param declared the migrations, whose cumulative Convex schema drives the type mapping of declared tables
     */
    public SyncEngine(TableReader reader, SyncSink sink, MigrationSet declared, SyncOptions options, Progress progress) {
        if (sink == null && !options.dryRun()) {
            throw new IllegalArgumentException("a sync that writes needs a sink");
        }
        this.reader = reader;
        this.sink = sink;
        this.declared = declared;
        this.options = options;
        this.progress = progress;
    }

    public SyncSummary run() {
        List<String> names = options.tables().isEmpty() ? reader.tables(options.schema()) : options.tables();
        List<SyncSummary.TableResult> results = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, options.inFlight()), r -> {
            Thread t = new Thread(r, "sync-writer");
            t.setDaemon(true);
            return t;
        });
        try {
            for (String name : names) {
                results.add(syncTable(name, pool));
            }
        } finally {
            pool.shutdownNow();
        }
        long total = results.stream().mapToLong(SyncSummary.TableResult::read).sum();
        long failed = results.stream().mapToLong(r -> r.rejected() + (r.error() == null ? 0 : 1)).sum();
        long ok = results.stream().mapToLong(r -> options.dryRun() ? r.read() - r.rejected()
                : r.inserted() + r.updated() + r.unchanged()).sum();
        return new SyncSummary(names, total, ok, failed, options.dryRun(), results);
    }

    private SyncSummary.TableResult syncTable(String name, ExecutorService pool) {
        TableRun run = new TableRun(name);
        try {
            SourceTable table = reader.describe(options.schema(), name, options.cursorColumns());
            checkNames(table);
            run.cursor = table.cursor().map(SourceTable.Column::name).orElse(null);
            RowConverter converter = new RowConverter(table, Optional.ofNullable(declared.declaredSchema().get(name)));
            run.skipped = converter.skippedColumns();
            OrderedBatchWriter writer = options.dryRun() ? null
                    : new OrderedBatchWriter(sink, name, run.cursor, options, pool, run::committed);
            if (table.cursor().isPresent()) {
                read(table, Pass.NULL_CURSOR, null, converter, writer, run, false);
                List<String> mark = sink == null ? null : sink.mark(name)
                        .filter(m -> m.size() == 1 + table.primaryKey().size()).orElse(null);
                read(table, Pass.BY_CURSOR, mark, converter, writer, run, true);
            } else {
                read(table, Pass.ALL, null, converter, writer, run, false);
            }
            if (writer != null) {
                writer.finish();
            }
            if (options.prune() && !options.dryRun()) {
                run.deleted = prune(table);
            }
        } catch (MigrateException e) {
            run.error = e.getMessage();
        }
        return run.result();
    }

    private static void checkNames(SourceTable table) {
        if (!TableSchema.isValidTableName(table.name())) {
            throw MigrateException.badInput("table '" + table.name() + "' cannot be a Convex table name (a letter,"
                    + " then letters, digits and underscores)");
        }
        for (SourceTable.Column column : table.columns()) {
            String problem = TableSchema.fieldNameProblem(column.name());
            if (problem != null) {
                throw MigrateException.badInput("table '" + table.name() + "': column " + problem);
            }
        }
    }

    /** One pass: every row converted and handed to the writer; {@code marks} when positions are high-water marks. */
    private void read(SourceTable table, Pass pass, List<String> after, RowConverter converter,
                      OrderedBatchWriter writer, TableRun run, boolean marks) {
        reader.read(table, pass, after, row -> {
            if (options.limit() != null && run.read >= options.limit()) {
                return false;
            }
            run.read++;
            Map<String, Object> document;
            try {
                document = converter.document(row.values());
            } catch (RowConverter.Rejected e) {
                run.rejected(row.key(), e.getMessage());
                return true;
            }
            if (run.sample == null) {
                run.sample = document;
            }
            if (writer != null) {
                writer.add(sink.row(row.key(), document), marks ? row.position() : null);
            }
            return true;
        });
    }

    /** Deletes the Convex documents whose source rows no longer exist, a page of mapped keys at a time. */
    private long prune(SourceTable table) {
        long deleted = 0;
        String after = "";
        while (true) {
            List<String> keys = sink.keys(table.name(), after, PRUNE_PAGE);
            if (keys.isEmpty()) {
                return deleted;
            }
            after = keys.get(keys.size() - 1);
            Set<String> present = reader.present(table, keys);
            List<String> gone = keys.stream().filter(k -> !present.contains(k)).toList();
            if (!gone.isEmpty()) {
                deleted += sink.delete(table.name(), gone);
            }
        }
    }

    /** Counters and findings of one table. */
    private final class TableRun {
        final String table;
        String cursor;
        long read;
        long inserted;
        long updated;
        long unchanged;
        long deleted;
        long rejected;
        long batches;
        final List<SyncSummary.Rejection> rejections = new ArrayList<>();
        List<String> skipped = List.of();
        Map<String, Object> sample;
        String error;

        TableRun(String table) {
            this.table = table;
        }

        void rejected(String key, String reason) {
            rejected++;
            if (rejections.size() < MAX_REJECTIONS_LISTED) {
                rejections.add(new SyncSummary.Rejection(table, key, reason));
            }
        }

        void committed(SyncSink.Written w) {
            inserted += w.inserted();
            updated += w.updated();
            unchanged += w.unchanged();
            progress.batchCommitted(table, ++batches, read, inserted + updated + unchanged);
        }

        SyncSummary.TableResult result() {
            return new SyncSummary.TableResult(table, cursor, read, inserted, updated, unchanged, deleted, rejected,
                    rejections, skipped, options.dryRun() ? sample : null, error);
        }
    }
}
