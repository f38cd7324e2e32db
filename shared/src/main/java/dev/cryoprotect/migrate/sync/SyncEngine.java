package dev.cryoprotect.migrate.sync;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.MigrationSet;
import dev.cryoprotect.migrate.model.TableSchema;
import dev.cryoprotect.migrate.report.SyncSummary;
import dev.cryoprotect.migrate.target.convex.ConvexException;
import dev.cryoprotect.migrate.target.convex.ConvexValues;
import dev.cryoprotect.migrate.target.postgres.PostgresConfig;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.stream.Collectors;

/**
 * Syncs Supabase tables to Convex. Per table: look it up in the catalog (a name is never pasted into SQL), read it in
 * keyset pages over the primary key (with a cursor column: over cursor then key, from the stored high-water mark),
 * convert each row, and send batches bounded by rows and encoded bytes, several in flight. Batches complete in any
 * order but are accounted in order, and the mark moves only past batches that, with every one before them, committed:
 * a crash resumes without loss, and a re-sent batch changes nothing.
 */
public final class SyncEngine {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_REJECTIONS_LISTED = 50;

    /**
     * @param tables        tables to sync; empty means every base table of {@code schema} except the framework's
     * @param limit         at most this many rows per table, or null for all
     * @param cursorColumns per table: the cursor column, or "" for a full pass (default: updated_at when present)
     */
    public record Options(String schema, List<String> tables, boolean dryRun, Integer limit, boolean prune,
                          Map<String, String> cursorColumns, int batchRows, long batchBytes, int inFlight,
                          int pageRows, int fetchSize) {
        public static Options defaults() {
            return new Options("public", List.of(), false, null, false, Map.of(), 500, 2L << 20, 4, 10_000, 1_000);
        }

        public Options with(List<String> newTables, boolean newDryRun, Integer newLimit, boolean newPrune) {
            return new Options(schema, newTables, newDryRun, newLimit, newPrune, cursorColumns, batchRows, batchBytes,
                    inFlight, pageRows, fetchSize);
        }

        public Options withBatching(int rows, long bytes, int parallel) {
            return new Options(schema, tables, dryRun, limit, prune, cursorColumns, rows, bytes, parallel, pageRows,
                    fetchSize);
        }

        public Options withCursors(Map<String, String> cursors) {
            return new Options(schema, tables, dryRun, limit, prune, cursors, batchRows, batchBytes, inFlight, pageRows,
                    fetchSize);
        }
    }

    /** Told as batches commit; the CLI draws a progress line, Lambda logs periodic JSON events. */
    public interface Progress {
        void batchCommitted(String table, long batch, long rowsRead, long rowsWritten);

        Progress NONE = (table, batch, read, written) -> { };
    }

    private final PostgresConfig postgres;
    private final SyncSink sink;
    private final MigrationSet declared;
    private final Options options;
    private final Progress progress;

    /** @param declared the migrations, whose cumulative Convex schema drives the type mapping of declared tables */
    public SyncEngine(PostgresConfig postgres, SyncSink sink, MigrationSet declared, Options options, Progress progress) {
        this.postgres = postgres;
        this.sink = sink;
        this.declared = declared;
        this.options = options;
        this.progress = progress;
    }

    public SyncSummary run() {
        List<SyncSummary.TableResult> results = new ArrayList<>();
        List<String> names;
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, options.inFlight()), r -> {
            Thread t = new Thread(r, "sync-writer");
            t.setDaemon(true);
            return t;
        });
        try (Connection connection = postgres.connect()) {
            Catalog catalog = new Catalog(connection);
            names = options.tables().isEmpty() ? catalog.tables(options.schema()) : options.tables();
            for (String name : names) {
                results.add(syncTable(connection, catalog, name, pool));
            }
        } catch (SQLException e) {
            throw new MigrateException(Failure.UNREACHABLE, "PostgreSQL error while syncing: " + e.getMessage(), e);
        } finally {
            pool.shutdownNow();
        }
        long total = results.stream().mapToLong(SyncSummary.TableResult::read).sum();
        long failed = results.stream().mapToLong(r -> r.rejected() + (r.error() == null ? 0 : 1)).sum();
        long ok = results.stream().mapToLong(r -> options.dryRun() ? r.read() - r.rejected()
                : r.inserted() + r.updated() + r.unchanged()).sum();
        return new SyncSummary(names, total, ok, failed, options.dryRun(), results);
    }

    private SyncSummary.TableResult syncTable(Connection connection, Catalog catalog, String name, ExecutorService pool) {
        TableRun run = new TableRun(name);
        try {
            SourceTable table = catalog.describe(options.schema(), name, options.cursorColumns());
            if (!TableSchema.isValidTableName(name)) {
                throw MigrateException.badInput("table '" + name + "' cannot be a Convex table name (a letter, then"
                        + " letters, digits and underscores)");
            }
            for (SourceTable.Column column : table.columns()) {
                String problem = TableSchema.fieldNameProblem(column.name());
                if (problem != null) {
                    throw MigrateException.badInput("table '" + name + "': column " + problem);
                }
            }
            run.cursor = table.cursor().map(SourceTable.Column::name).orElse(null);
            RowConverter converter = new RowConverter(table, Optional.ofNullable(declared.declaredSchema().get(name)));
            run.skipped = converter.skippedColumns();
            Batches batches = new Batches(run, table, pool);
            if (table.cursor().isPresent()) {
                SourceTable.Column cursor = table.cursor().get();
                List<SourceTable.Column> cursorThenKey = new ArrayList<>();
                cursorThenKey.add(cursor);
                cursorThenKey.addAll(table.primaryKey());
                // Rows without a cursor value cannot be placed after a mark: they are read on every run.
                readPass(connection, table, converter, batches, SourceTable.quote(cursor.name()) + " IS NULL",
                        table.primaryKey(), null, false);
                Optional<List<String>> mark = sink == null ? Optional.empty() : sink.mark(name);
                readPass(connection, table, converter, batches, SourceTable.quote(cursor.name()) + " IS NOT NULL",
                        cursorThenKey, mark.filter(m -> m.size() == cursorThenKey.size()).orElse(null), true);
            } else {
                readPass(connection, table, converter, batches, null, table.primaryKey(), null, false);
            }
            batches.finish();
            if (options.prune() && !options.dryRun()) {
                run.deleted = prune(connection, table);
            }
        } catch (MigrateException e) {
            run.error = e.getMessage();
        } catch (ConvexException e) {
            run.error = "Convex refused a batch: " + e.getMessage() + ". Batches before it are committed; a re-run"
                    + " continues from the last stored mark";
        } catch (SQLException e) {
            run.error = "PostgreSQL: " + e.getMessage();
        }
        return run.result();
    }

    /** One keyset-paged read of the table, ordered by {@code order}, from {@code from} (exclusive) when given. */
    private void readPass(Connection connection, SourceTable table, RowConverter converter, Batches batches,
                          String filter, List<SourceTable.Column> order, List<String> from, boolean marks)
            throws SQLException {
        String columns = table.columns().stream().map(c -> SourceTable.quote(c.name())).collect(Collectors.joining(", "));
        List<String> orderTextColumns = new ArrayList<>();
        for (int i = 0; i < order.size(); i++) {
            // Aliased: an output column named like a table column would make ORDER BY ambiguous.
            orderTextColumns.add(SourceTable.quote(order.get(i).name()) + "::text AS \"__sync_position_" + i + "\"");
        }
        String orderText = String.join(", ", orderTextColumns);
        String orderBy = order.stream().map(c -> SourceTable.quote(c.name())).collect(Collectors.joining(", "));
        String after = "(" + orderBy + ") > (" + order.stream().map(c -> "CAST(? AS " + c.sqlType() + ")")
                .collect(Collectors.joining(", ")) + ")";
        List<String> position = from;
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false); // PostgreSQL streams with a fetch size only inside a transaction
        try {
            while (true) {
                List<String> where = new ArrayList<>();
                if (filter != null) {
                    where.add(filter);
                }
                if (position != null) {
                    where.add(after);
                }
                String sql = "SELECT " + columns + ", " + orderText + " FROM " + table.qualified()
                        + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
                        + " ORDER BY " + orderBy + " LIMIT " + options.pageRows();
                int rows = 0;
                try (PreparedStatement ps = connection.prepareStatement(sql)) {
                    ps.setFetchSize(options.fetchSize());
                    if (position != null) {
                        for (int i = 0; i < position.size(); i++) {
                            ps.setString(i + 1, position.get(i));
                        }
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        int first = table.columns().size() + 1;
                        while (rs.next()) {
                            if (batches.limitReached()) {
                                return;
                            }
                            rows++;
                            List<String> orderValues = new ArrayList<>(order.size());
                            for (int i = 0; i < order.size(); i++) {
                                orderValues.add(rs.getString(first + i));
                            }
                            List<String> keyValues = marks ? orderValues.subList(1, orderValues.size()) : orderValues;
                            batches.add(rs, converter, key(keyValues), marks ? orderValues : null);
                            position = orderValues;
                        }
                    }
                }
                if (rows < options.pageRows()) {
                    return;
                }
            }
        } finally {
            connection.commit();
            connection.setAutoCommit(autoCommit);
        }
    }

    /** Deletes the Convex documents whose source rows no longer exist, a page of mapped keys at a time. */
    private long prune(Connection connection, SourceTable table) throws SQLException {
        long deleted = 0;
        String after = "";
        List<SourceTable.Column> pk = table.primaryKey();
        String keyText = pk.stream().map(c -> SourceTable.quote(c.name()) + "::text").collect(Collectors.joining(", "));
        String keyCols = pk.stream().map(c -> SourceTable.quote(c.name())).collect(Collectors.joining(", "));
        String tuple = "(" + pk.stream().map(c -> "CAST(? AS " + c.sqlType() + ")").collect(Collectors.joining(", ")) + ")";
        while (true) {
            List<String> keys = sink.keys(table.name(), after, 1000);
            if (keys.isEmpty()) {
                return deleted;
            }
            after = keys.get(keys.size() - 1);
            String sql = "SELECT " + keyText + " FROM " + table.qualified() + " WHERE (" + keyCols + ") IN ("
                    + String.join(", ", java.util.Collections.nCopies(keys.size(), tuple)) + ")";
            Set<String> present = new HashSet<>();
            try (PreparedStatement ps = connection.prepareStatement(sql)) {
                int p = 1;
                for (String key : keys) {
                    for (String value : parseKey(key)) {
                        ps.setString(p++, value);
                    }
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        List<String> values = new ArrayList<>();
                        for (int i = 1; i <= pk.size(); i++) {
                            values.add(rs.getString(i));
                        }
                        present.add(key(values));
                    }
                }
            }
            List<String> gone = keys.stream().filter(k -> !present.contains(k)).toList();
            if (!gone.isEmpty()) {
                deleted += sink.delete(table.name(), gone);
            }
        }
    }

    static String key(List<String> values) {
        try {
            return JSON.writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> parseKey(String key) {
        try {
            return List.of(JSON.readValue(key, String[].class));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("malformed sync key " + key, e);
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
        final List<SyncSummary.Rejection> rejections = new ArrayList<>();
        List<String> skipped = List.of();
        Map<String, Object> sample;
        String error;

        TableRun(String table) {
            this.table = table;
        }

        SyncSummary.TableResult result() {
            return new SyncSummary.TableResult(table, cursor, read, inserted, updated, unchanged, deleted, rejected,
                    rejections, skipped, options.dryRun() ? sample : null, error);
        }
    }

    /** Groups rows into batches, keeps up to {@code inFlight} of them in flight, and accounts for them in order. */
    private final class Batches {
        private final TableRun run;
        private final SourceTable table;
        private final ExecutorService pool;
        private final Semaphore slots = new Semaphore(Math.max(1, options.inFlight()));
        private final Deque<Pending> pending = new ArrayDeque<>();
        private final MessageDigest sha256;
        private List<SyncSink.Row> rows = new ArrayList<>();
        private long bytes;
        private List<String> lastMark;
        private long batchNumber;
        private long written;

        private record Pending(Future<SyncSink.Written> result, List<String> mark) {
        }

        Batches(TableRun run, SourceTable table, ExecutorService pool) {
            this.run = run;
            this.table = table;
            this.pool = pool;
            try {
                this.sha256 = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        boolean limitReached() {
            return options.limit() != null && run.read >= options.limit();
        }

        void add(ResultSet rs, RowConverter converter, String key, List<String> mark) throws SQLException {
            run.read++;
            Map<String, Object> doc;
            try {
                doc = converter.document(rs);
            } catch (RowConverter.Rejected e) {
                run.rejected++;
                if (run.rejections.size() < MAX_REJECTIONS_LISTED) {
                    run.rejections.add(new SyncSummary.Rejection(table.name(), key, e.getMessage()));
                }
                return;
            }
            com.fasterxml.jackson.databind.JsonNode document = ConvexValues.encode(doc);
            byte[] encoded = document.toString().getBytes(StandardCharsets.UTF_8);
            if (run.sample == null) {
                run.sample = doc;
            }
            String hash = HexFormat.of().formatHex(sha256.digest(encoded));
            rows.add(new SyncSink.Row(key, hash, document));
            bytes += encoded.length + key.length() + hash.length();
            if (mark != null) {
                lastMark = mark;
            }
            if (rows.size() >= options.batchRows() || bytes >= options.batchBytes()) {
                flush();
            }
        }

        private void flush() {
            if (rows.isEmpty()) {
                return;
            }
            List<SyncSink.Row> batch = rows;
            List<String> mark = lastMark;
            rows = new ArrayList<>();
            bytes = 0;
            if (options.dryRun() || sink == null) {
                return;
            }
            slots.acquireUninterruptibly();
            pending.add(new Pending(pool.submit(() -> {
                try {
                    return sink.write(table.name(), table.name(), batch);
                } finally {
                    slots.release();
                }
            }), mark));
            account(false);
        }

        /** Takes finished batches off the front, in order; stores the mark they reach. */
        private void account(boolean wait) {
            List<String> reached = null;
            while (!pending.isEmpty() && (wait || pending.peekFirst().result().isDone())) {
                Pending head = pending.pollFirst();
                SyncSink.Written w;
                try {
                    w = head.result().get();
                } catch (ExecutionException e) {
                    pending.forEach(p -> awaitQuietly(p.result()));
                    pending.clear();
                    storeMark(reached);
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new MigrateException(Failure.UNREACHABLE, "interrupted while syncing " + table.name());
                }
                run.inserted += w.inserted();
                run.updated += w.updated();
                run.unchanged += w.unchanged();
                written += w.inserted() + w.updated() + w.unchanged();
                progress.batchCommitted(table.name(), ++batchNumber, run.read, written);
                if (head.mark() != null) {
                    reached = head.mark();
                }
            }
            storeMark(reached);
        }

        private void storeMark(List<String> reached) {
            if (reached != null && run.cursor != null) {
                sink.setMark(table.name(), run.cursor, reached);
            }
        }

        void finish() {
            flush();
            account(true);
        }

        private void awaitQuietly(Future<?> f) {
            try {
                f.get();
            } catch (Exception ignored) {
                // its failure, if any, is superseded by the one being reported
            }
        }
    }
}
