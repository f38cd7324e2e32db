package dev.cryoprotect.migrate.sync;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.convex.DocumentLimits;
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
    private static final int REJECTIONS_PAGE = 500;
    /** The progress of a key range that was read to its end (PostgreSQL text never holds a NUL). */
    private static final List<String> PASS_DONE = List.of("\u0000done");
    private final long started = System.nanoTime();

    /** Told as batches commit; the CLI draws a progress line, Lambda logs periodic JSON events. */
    public interface Progress {
        void batchCommitted(String table, long batch, long rowsRead, long rowsWritten);

        Progress NONE = (table, batch, read, written) -> { };
    }

    private final TableReader reader;
    private final SyncSink sink;
    /**
     * A dry run's first failure to reach Convex: later questions fail at once with it, instead of each waiting out the
     * client's retries again (seconds per table, for an answer that will not change within the run).
     */
    private volatile MigrateException convexUnreachable;
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
        List<String> names = tablesToSync();
        List<SyncSummary.TableResult> results = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, options.inFlight()), r -> {
            Thread t = new Thread(r, "sync-writer");
            t.setDaemon(true);
            return t;
        });
        try {
            for (String name : names) {
                if (timeIsUp() && !results.isEmpty()) {
                    results.add(notStarted(name)); // the next call starts with it, so a call ends near its limit
                } else {
                    results.add(syncTable(name, pool));
                }
            }
        } finally {
            pool.shutdownNow();
        }
        long total = results.stream().mapToLong(SyncSummary.TableResult::read).sum();
        // A real run fails while any row is left rejected (retried by every run); a dry run counts what it rejected. A
        // table a time-limited call did not finish counts in the call that finishes it, which retries its rejections
        // once more first: so a loop of calls counts each table's rows once, as they stand at its end. A table that
        // --limit stopped is not such a loop: its rejected rows fail this call, as they would a call that finished.
        long failed = results.stream().mapToLong(r -> (options.dryRun() ? r.rejected()
                : r.done() || options.limit() != null ? r.pendingRejected() : 0) + (r.error() == null ? 0 : 1)).sum();
        long ok = results.stream().mapToLong(r -> options.dryRun() ? r.read() - r.rejected()
                : r.inserted() + r.updated() + r.unchanged()).sum();
        List<String> remaining = results.stream().filter(r -> !r.done()).map(SyncSummary.TableResult::table).toList();
        return new SyncSummary(names, total, ok, failed, options.dryRun(), remaining.isEmpty(), remaining, results);
    }

    private boolean timeIsUp() {
        return options.maxDuration() != null && System.nanoTime() - started >= options.maxDuration().toNanos();
    }

    private SyncSummary.TableResult notStarted(String name) {
        TableRun run = new TableRun(name);
        run.done = false;
        run.notes.add("not started: the call's time limit had passed; the next call starts with it");
        return run.result();
    }

    /**
     * Cuts one table into about {@code parts} key ranges for workers that each sync one (a fan-out), and notes where
     * the table's cursor stands now, so {@link #finishRanges} can set the high-water mark the workers reached together.
     *
     * @param idPrefix makes the ranges' progress keys unique to this fan-out (a state machine's execution name)
     */
    public RangePlan planRanges(String table, int parts, String idPrefix) {
        String name = tablesToSync().get(0);
        if (!name.equals(table)) {
            throw MigrateException.badInput("a fan-out plans one table, given as the only table");
        }
        SourceTable source = reader.describe(options.schema(), table, options.cursorColumns());
        List<List<String>> cuts = reader.boundaries(source, Math.max(1, parts));
        List<SyncOptions.KeyRange> ranges = new ArrayList<>();
        for (int i = 0; i <= cuts.size(); i++) {
            ranges.add(new SyncOptions.KeyRange(idPrefix + "-" + (i + 1), i == 0 ? null : cuts.get(i - 1),
                    i == cuts.size() ? null : cuts.get(i)));
        }
        return new RangePlan(table, ranges, reader.lastPosition(source, options.lookback()));
    }

    /** A fan-out's plan: the key ranges, and the cursor position the table had when it was cut (null: no cursor). */
    public record RangePlan(String table, List<SyncOptions.KeyRange> ranges, List<String> mark) {
    }

    /**
     * After every range of a fan-out synced: sets the table's high-water mark to where its cursor stood when it was cut,
     * then syncs what changed since (a cursor table) or retries the rows rejected on the way (a table without cursor).
     */
    public SyncSummary finishRanges(String table, List<String> mark) {
        SourceTable source = reader.describe(options.schema(), table, options.cursorColumns());
        if (source.cursor().isPresent() && mark != null && !options.dryRun()) {
            sink.setMark(table, source.cursor().get().name(), options.schema(), mark);
            return run();
        }
        TableRun run = new TableRun(table);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            RowConverter converter = new RowConverter(source, Optional.ofNullable(declared.declaredSchema().get(table)));
            if (!options.dryRun()) {
                OrderedBatchWriter writer = new OrderedBatchWriter(sink, table, null, "", options, pool, run);
                retryRejected(source, converter, writer, run);
                writer.finish();
                run.flushRejections();
            }
        } catch (MigrateException e) {
            run.error = e.getMessage();
        } finally {
            pool.shutdownNow();
        }
        run.pendingRejected = countPending(table);
        SyncSummary.TableResult result = run.result();
        return new SyncSummary(List.of(table), result.read(), result.inserted() + result.updated() + result.unchanged(),
                result.pendingRejected() + (result.error() == null ? 0 : 1), options.dryRun(), true, List.of(),
                List.of(result));
    }

    /**
     * The tables to sync, with the options checked first: an unknown schema or table, or a cursor for a table this
     * sync does not include, or on a column that is missing or cannot be ordered, is bad input before anything runs.
     */
    private List<String> tablesToSync() {
        String schema = options.schema();
        if (!reader.schemaExists(schema)) {
            throw MigrateException.badInput("schema '" + schema + "' does not exist (--schema)");
        }
        List<String> existing = reader.tables(schema);
        List<String> names = options.tables().isEmpty() ? existing : options.tables();
        List<String> unknown = names.stream().filter(n -> !existing.contains(n)).toList();
        if (!unknown.isEmpty()) {
            throw MigrateException.badInput("no table " + String.join(", ", unknown) + " in schema '" + schema + "'"
                    + (existing.isEmpty() ? " (it has no tables)" : " (it has: " + String.join(", ",
                    existing.subList(0, Math.min(20, existing.size()))) + (existing.size() > 20 ? ", ..." : "") + ")"));
        }
        for (Map.Entry<String, String> cursor : options.cursorColumns().entrySet()) {
            if (!names.contains(cursor.getKey())) {
                throw MigrateException.badInput("--cursor " + cursor.getKey() + "=" + cursor.getValue() + " names a table"
                        + " this sync does not include (" + String.join(", ", names) + ")");
            }
            reader.describe(schema, cursor.getKey(), options.cursorColumns()); // a bad cursor column is bad input
        }
        return names;
    }

    private SyncSummary.TableResult syncTable(String name, ExecutorService pool) {
        TableRun run = new TableRun(name);
        try {
            SourceTable table = reader.describe(options.schema(), name, options.cursorColumns());
            checkNames(table);
            run.cursor = table.cursor().map(SourceTable.Column::name).orElse(null);
            checkSameSource(name, options.range() == null && run.cursor != null ? run.cursor : "", run);
            RowConverter converter = new RowConverter(table, Optional.ofNullable(declared.declaredSchema().get(name)));
            run.skipped = converter.skippedColumns();
            // Where this table's progress is kept: the cursor's high-water mark, or, for a pass by primary key (a table
            // without cursor, or one key range of a fan-out), how far the pass got, so the next call continues it.
            SyncOptions.KeyRange range = options.range();
            boolean byCursor = range == null && table.cursor().isPresent();
            String markKey = byCursor ? name : range != null ? name + "#range-" + range.id() : name + "#pass";
            String markLabel = byCursor ? run.cursor : "";
            OrderedBatchWriter writer = options.dryRun() ? null
                    : new OrderedBatchWriter(sink, name, markKey, markLabel, options, pool, run);
            if (writer != null && range == null) {
                retryRejected(table, converter, writer, run); // a fan-out retries them once, in its finishing call
            }
            if (byCursor) {
                String slow = reader.slowCursor(table);
                if (slow != null) {
                    run.notes.add(slow);
                }
                readNullCursor(table, name + "#null", converter, pool, run);
                if (run.done) { // else a limit stopped the rows without a cursor value: the next call goes on with them
                    run.settledBelow(table, reader.settledBelow(table, options.lookback()));
                    List<String> mark = markOf(table, run);
                    read(table, Pass.BY_CURSOR, mark, null, converter, writer, run, true);
                }
            } else {
                List<String> progress = sink == null || options.dryRun() ? null : sink.mark(markKey)
                        .map(SyncSink.Mark::values).filter(m -> !m.isEmpty()).orElse(null);
                if (progress != null && progress.equals(PASS_DONE)) {
                    run.done = true; // this range was finished by an earlier call
                } else {
                    read(table, Pass.ALL, progress != null ? progress : range == null ? null : range.after(),
                            range == null ? null : range.until(), converter, writer, run, true);
                }
            }
            if (writer != null) {
                writer.finish();
                if (!byCursor && run.done) {
                    // A whole table's pass starts over next time; a finished range says so, for a rerun of its worker.
                    sink.setMark(markKey, "", options.schema(), range == null ? List.of() : PASS_DONE);
                }
            }
            run.flushRejections();
            if (options.prune() && !options.dryRun() && run.done) { // a table left for the next call prunes then
                run.deleted = prune(table);
            } else if (options.prune() && sink != null && run.cannotCompare == null) {
                try {
                    run.deleted = gone(table, false); // a dry run counts what it would delete
                } catch (MigrateException e) {
                    run.notes.add("could not count the documents a prune would delete: " + e.getMessage());
                }
            }
            if (options.dryRun() && sink == null) {
                run.notes.add("no Convex deployment to compare with (CONVEX_URL and CONVEX_DEPLOY_KEY): the rows were"
                        + " read and converted; which would be inserted, updated or left unchanged is not known");
            }
        } catch (MigrateException e) {
            if (e.failure() == Failure.UNREACHABLE && !options.dryRun()) {
                // Convex or PostgreSQL gone, or a key refused: every next table would wait out the same retries and
                // fail alike. What committed stays committed; the next sync continues from it.
                throw e;
            }
            run.error = e.getMessage();
            run.flushRejectionsQuietly();
        }
        run.pendingRejected = countPending(name);
        return run.result();
    }

    /**
     * The rows whose cursor is NULL, which no mark can pass: read by primary key on every sync (one updated without a
     * cursor value changes nothing a mark could see). A pass a limit stops keeps how far it got under its own key, so
     * the next call goes on from there rather than from the first row again; a finished pass forgets it.
     */
    private void readNullCursor(SourceTable table, String progressKey, RowConverter converter, ExecutorService pool,
                                TableRun run) {
        if (sink == null || options.dryRun()) {
            read(table, Pass.NULL_CURSOR, null, null, converter, null, run, false);
            return;
        }
        List<String> from = sink.mark(progressKey).map(SyncSink.Mark::values).filter(m -> !m.isEmpty()).orElse(null);
        OrderedBatchWriter writer = new OrderedBatchWriter(sink, table.name(), progressKey, "", options, pool, run);
        long before = run.read;
        read(table, Pass.NULL_CURSOR, from, null, converter, writer, run, true);
        writer.finish();
        if (run.done && (from != null || run.read > before)) {
            sink.setMark(progressKey, "", options.schema(), List.of());
        }
    }

    /**
     * Rows rejected by earlier runs, read again by key and sent again: one that converts now is written (which clears
     * its rejection), one still rejected is kept with its new reason, one whose source row is gone is forgotten. This
     * is what keeps a rejected row behind the high-water mark from being lost.
     */
    private void retryRejected(SourceTable table, RowConverter converter, OrderedBatchWriter writer, TableRun run) {
        String after = "";
        while (!timeIsUp()) { // a time-limited call leaves the rest to the next; its pass still gets a batch
            List<SyncSink.Rejection> page = sink.rejections(table.name(), after, REJECTIONS_PAGE);
            if (page.isEmpty()) {
                return;
            }
            after = page.get(page.size() - 1).key();
            List<String> keys = page.stream().map(SyncSink.Rejection::key).toList();
            List<TableReader.SourceRow> rows = reader.fetch(table, keys);
            Set<String> found = new java.util.HashSet<>();
            for (TableReader.SourceRow row : rows) {
                found.add(row.key());
                run.retried++;
                run.read++;
                run.retriedKeys.add(row.key()); // handled here: the pass that reads it again this run skips it
                try {
                    writer.add(encoded(row, converter), null);
                } catch (RowConverter.Rejected e) {
                    run.rejected(row.key(), e.getMessage());
                }
            }
            List<String> gone = keys.stream().filter(k -> !found.contains(k)).toList();
            if (!gone.isEmpty()) {
                sink.clearRejections(table.name(), gone);
            }
        }
    }

    /**
     * The table's stored high-water mark, or null; a dry run that cannot read it reads every row, and says so. A mark
     * taken on another cursor column says nothing about this one's values: every row is read once (unchanged ones are
     * not written again), and the next mark is this column's.
     */
    private List<String> markOf(SourceTable table, TableRun run) {
        if (sink == null) {
            return null;
        }
        try {
            Optional<SyncSink.Mark> stored = run.storedMark();
            if (stored.isPresent() && !stored.get().cursorColumn().isEmpty()
                    && !stored.get().cursorColumn().equals(run.cursor)) {
                run.notes.add("the cursor is now " + run.cursor + ", the stored mark was taken on "
                        + stored.get().cursorColumn() + ": every row was read once");
                return null;
            }
            List<String> mark = stored.map(SyncSink.Mark::values).filter(m -> m.size() == 1 + table.primaryKey().size())
                    .orElse(null);
            if (mark != null && !reader.readsAs(table, mark)) {
                run.notes.add("the stored mark (" + String.join(", ", mark) + ") does not read as the columns' types"
                        + " now (did a column's type change?): every row was read once, and the mark starts again");
                return null;
            }
            if (mark != null && !reader.settled(table, mark.get(0), options.lookback())) {
                run.notes.add("the stored mark (" + run.cursor + " " + mark.get(0) + ") is past the database's clock"
                        + " less the lookback: every row was read once, and the mark moved back");
                return null;
            }
            return mark;
        } catch (MigrateException e) {
            if (!options.dryRun()) {
                throw e;
            }
            run.notes.add("could not read the high-water mark from Convex (" + e.getMessage() + "); the dry run read"
                    + " every row");
            return null;
        }
    }

    /** A question to Convex; in a dry run, one that cannot reach it is not asked again (see convexUnreachable). */
    private <T> T askConvex(java.util.function.Supplier<T> question) {
        MigrateException known = convexUnreachable;
        if (known != null) {
            throw new MigrateException(known.failure(), known.getMessage(), known);
        }
        try {
            return question.get();
        } catch (MigrateException e) {
            if (options.dryRun() && e.failure() == Failure.UNREACHABLE) {
                convexUnreachable = e;
            }
            throw e;
        }
    }

    /** A row converted and encoded for the sink; a document Convex would not store (too large, too nested) is rejected. */
    private SyncSink.Row encoded(TableReader.SourceRow row, RowConverter converter) throws RowConverter.Rejected {
        byte[] document = converter.encode(row.values());
        String problem = DocumentLimits.problem(document, document.length, converter.nesting());
        if (problem != null) {
            throw new RowConverter.Rejected(problem);
        }
        return sink.row(row.key(), document);
    }

    /** Rejections still stored for a table (0 without a sink). */
    private long countPending(String table) {
        if (sink == null) {
            return 0;
        }
        try {
            long count = 0;
            String after = "";
            while (true) {
                String from = after;
                List<SyncSink.Rejection> page = askConvex(() -> sink.rejections(table, from, REJECTIONS_PAGE));
                if (page.isEmpty()) {
                    return count;
                }
                count += page.size();
                after = page.get(page.size() - 1).key();
            }
        } catch (MigrateException e) {
            return 0; // the table's error already says Convex cannot be reached
        }
    }

    /**
     * Refuses a table whose Convex documents were synced from a table of the same name in another PostgreSQL schema
     * (public.users and auth.users both map to Convex's users): its rows would overwrite theirs, and a prune would
     * delete them. A first sync of the table claims it for its schema before writing a document, in one Convex
     * transaction with the check (a state kept before owners were is claimed by the next real sync).
     */
    private void checkSameSource(String name, String cursorLabel, TableRun run) {
        if (sink == null) {
            return;
        }
        Optional<SyncSink.Mark> stored;
        try {
            stored = run.storedMark();
        } catch (MigrateException e) {
            if (options.dryRun()) {
                return; // markOf says why the dry run could not compare
            }
            throw e;
        }
        String from = stored.map(SyncSink.Mark::sourceSchema).orElse(null);
        if (from == null && !options.dryRun()) {
            from = sink.claim(name, options.schema(), cursorLabel); // atomic: of two first syncs, one owns the table
        }
        if (from != null && !from.equals(options.schema())) {
            throw MigrateException.badInput("Convex table '" + name + "' holds the rows of " + from + "." + name
                    + "; syncing " + options.schema() + "." + name + " into it would overwrite them (and --prune"
                    + " would delete them). Sync only one of the two into this deployment");
        }
        if (stored.isEmpty()) {
            long others;
            try {
                others = askConvex(() -> sink.unmappedDocuments(name));
            } catch (MigrateException e) {
                others = 0; // advice only (and a deployment older than the query cannot give it)
            }
            if (others > 0) {
                run.notes.add("Convex's " + name + " already held " + (others >= 100 ? "100 or more" : others)
                        + " document(s) no sync wrote (a migration's data?): the sync matches rows by primary key"
                        + " only, so a row that is one of those records becomes a second document. Delete those, or"
                        + " leave such data to the sync");
            }
        }
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

    /**
     * One pass: every row converted and handed to the writer; {@code marks} when positions are progress to keep. Stops
     * early at the row limit, or once {@code maxDuration} has passed (after at least a batch): then the table is not
     * done, and the next call continues from the kept progress.
     */
    private void read(SourceTable table, Pass pass, List<String> after, List<String> until, RowConverter converter,
                      OrderedBatchWriter writer, TableRun run, boolean marks) {
        boolean[] stopped = {false};
        boolean[] limited = {false};
        boolean[] recent = {false}; // reached rows newer than the lookback bound, which every sync reads again
        reader.read(table, pass, after, until, row -> {
            long passRead = run.read - run.retried; // retried rows do not use up the pass's limit or its first batch
            if (options.limit() != null && passRead >= options.limit()) {
                limited[0] = !options.dryRun(); // rows are left: the kept progress continues them next time
                return false;
            }
            if (passRead >= options.batchRows() && timeIsUp()) {
                stopped[0] = true;
                return false;
            }
            // The position the mark may move to with this row: none for a pass without marks, or a row too recent.
            boolean settled = run.settled(row);
            List<String> position = marks && settled ? row.position() : null;
            recent[0] = marks && !settled;
            if (writer != null && !run.retriedKeys.isEmpty() && run.retriedKeys.contains(row.key())) {
                writer.advance(position); // written or rejected by its retry
                return true;
            }
            run.read++;
            try {
                if (writer == null) {
                    // Converted, to find the rows that would be rejected; the first is shown as the sample. With
                    // Convex to compare with, counted as the sync would count it.
                    Map<String, Object> document = run.sample == null || sink == null
                            ? converter.document(row.values()) : null;
                    if (run.sample == null) {
                        run.sample = document;
                    }
                    if (sink != null) {
                        run.compare(table.name(), encoded(row, converter));
                    }
                    return true;
                }
                writer.add(encoded(row, converter), position);
            } catch (RowConverter.Rejected e) {
                run.rejected(row.key(), e.getMessage()); // kept in Convex and retried, so the mark may pass it
                if (writer != null) {
                    writer.advance(position);
                }
            }
            return true;
        });
        if (writer == null) {
            run.compared(table.name());
        }
        if ((stopped[0] || limited[0]) && recent[0] && !options.dryRun()) {
            // Every sync reads these again from the mark, so a next call would not get further: the table ends here.
            run.notes.add("stopped at its " + (limited[0] ? "row" : "time") + " limit among rows newer than the lookback ("
                    + run.read + " read): the next sync reads them again from the mark");
        } else if (stopped[0] && !options.dryRun() || limited[0]) {
            run.done = false;
        } else if (stopped[0] && run.notes.stream().noneMatch(n -> n.startsWith("the dry run stopped"))) {
            // A dry run keeps no progress: a next call would start the table over, so the table ends here, and says so.
            run.notes.add("the dry run stopped at its time limit after " + run.read + " rows; its counts cover those"
                    + " rows only");
        }
    }

    /** Deletes the Convex documents whose source rows no longer exist, a page of mapped keys at a time. */
    private long prune(SourceTable table) {
        return gone(table, true);
    }

    /**
     * Per table, how many Convex documents a sync with prune would delete now (their source rows are gone), deleting
     * nothing: what a production environment shows before asking.
     */
    public Map<String, Long> prunable() {
        Map<String, Long> counts = new java.util.LinkedHashMap<>();
        for (String name : tablesToSync()) {
            counts.put(name, gone(reader.describe(options.schema(), name, options.cursorColumns()), false));
        }
        return counts;
    }

    private long gone(SourceTable table, boolean delete) {
        long count = 0;
        String after = "";
        while (true) {
            String from = after;
            List<String> keys = askConvex(() -> sink.keys(table.name(), from, PRUNE_PAGE));
            if (keys.isEmpty()) {
                return count;
            }
            after = keys.get(keys.size() - 1);
            Set<String> present = reader.present(table, keys);
            List<String> gone = keys.stream().filter(k -> !present.contains(k)).toList();
            if (!gone.isEmpty()) {
                count += delete ? sink.delete(table.name(), gone) : gone.size();
            }
        }
    }

    /** Counters and findings of one table. */
    private final class TableRun implements OrderedBatchWriter.Committed {
        final String table;
        String cursor;
        long read;
        long inserted;
        long updated;
        long unchanged;
        long deleted;
        long rejected;
        long retried;
        /** Read to its end in this call (or an earlier one); false when the time limit stopped it. */
        boolean done = true;
        long pendingRejected;
        long batches;
        final List<SyncSummary.Rejection> rejections = new ArrayList<>();
        /** Rejections not yet stored in Convex: kept in batches, so a table of rejected rows costs few calls. */
        private final List<SyncSink.Rejection> unrecorded = new ArrayList<>();
        List<String> skipped = List.of();
        final List<String> notes = new ArrayList<>();
        /** A dry run's rows waiting to be compared with Convex, a batch at a time (bounded as the writer's are). */
        private final List<SyncSink.Row> comparing = new ArrayList<>();
        private long comparingBytes;
        /** Why comparing with Convex stopped (unreachable, functions not deployed), or null. */
        private String cannotCompare;
        Map<String, Object> sample;
        String error;
        /** The table's stored mark as this run found it (the claim, if it makes one, leaves it empty still). */
        private Optional<SyncSink.Mark> storedMark;

        Optional<SyncSink.Mark> storedMark() {
            if (storedMark == null) {
                storedMark = askConvex(() -> sink.mark(table)); // read once: both the claim and the cursor ask
            }
            return storedMark;
        }

        /** Rows this run retried from earlier rejections: each row is written (or rejected) and counted once a run. */
        final Set<String> retriedKeys = new java.util.HashSet<>();
        /** See {@link TableReader#settledBelow}: rows from it on are synced, but the mark stays before them. */
        private Object settledBelow;
        private int cursorIndex = -1;

        void settledBelow(SourceTable table, Object bound) {
            settledBelow = bound;
            cursorIndex = table.columns().indexOf(table.cursor().orElseThrow());
        }

        /** Whether the mark may move past this row: its cursor is below the bound (an infinity's is never). */
        @SuppressWarnings({"unchecked", "rawtypes"})
        boolean settled(TableReader.SourceRow row) {
            if (settledBelow == null) {
                return true;
            }
            Object value = row.values()[cursorIndex];
            if (value instanceof Double infinity) {
                return infinity < 0;
            }
            // A value of another type than the bound cannot be placed: kept unsettled, so the mark never passes it.
            return value instanceof Comparable c && value.getClass() == settledBelow.getClass()
                    && c.compareTo(settledBelow) < 0;
        }

        TableRun(String table) {
            this.table = table;
        }

        synchronized void rejected(String key, String reason) {
            rejected++;
            if (rejections.size() < MAX_REJECTIONS_LISTED) {
                rejections.add(new SyncSummary.Rejection(table, key, reason));
            }
            if (!options.dryRun()) {
                unrecorded.add(new SyncSink.Rejection(key, reason, 0, 0));
                if (unrecorded.size() >= REJECTIONS_PAGE) {
                    flushRejections();
                }
            }
        }

        synchronized void flushRejections() {
            if (!unrecorded.isEmpty() && sink != null) {
                sink.recordRejections(table, List.copyOf(unrecorded));
                unrecorded.clear();
            }
        }

        void flushRejectionsQuietly() {
            try {
                flushRejections();
            } catch (MigrateException ignored) {
                // Convex is unreachable: the table's error says so, and the next run meets these rows again
            }
        }

        @Override
        public void beforeMark() {
            flushRejections();
        }

        @Override
        public void batch(SyncSink.Written w) {
            inserted += w.inserted();
            updated += w.updated();
            unchanged += w.unchanged();
            w.rejected().forEach(r -> rejected(r.key(), r.reason()));
            progress.batchCommitted(table, ++batches, read, inserted + updated + unchanged);
        }

        /** A dry run's row: compared with what Convex holds once a batch is full. */
        void compare(String sourceTable, SyncSink.Row row) {
            if (cannotCompare != null) {
                return;
            }
            comparing.add(row);
            comparingBytes += row.bytes();
            if (comparing.size() >= options.batchRows() || comparingBytes >= options.batchBytes()) {
                compared(sourceTable);
            }
        }

        /**
         * The rows waiting, compared: counted as inserted, updated or unchanged, as a sync would count them. A dry run
         * needs no Convex: when the comparison cannot be made, it goes on counting converted rows and says why.
         */
        void compared(String sourceTable) {
            if (comparing.isEmpty() || cannotCompare != null) {
                return;
            }
            try {
                List<SyncSink.Row> rows = List.copyOf(comparing);
                askConvex(() -> sink.compare(sourceTable, rows)).ifPresent(would -> {
                    inserted += would.inserted();
                    updated += would.updated();
                    unchanged += would.unchanged();
                });
            } catch (MigrateException e) {
                cannotCompare = e.getMessage();
                notes.add("could not compare with Convex (" + cannotCompare + "); the rows were read and converted,"
                        + " and inserted, updated and unchanged count only the rows compared before that"
                        + (e.failure() == Failure.UNREACHABLE ? "" : ". Deploy convex/ again if its functions predate"
                        + " migrations/sync:compareBatch"));
            }
            comparing.clear();
            comparingBytes = 0;
        }

        SyncSummary.TableResult result() {
            return new SyncSummary.TableResult(table, cursor, read, inserted, updated, unchanged, deleted, rejected,
                    pendingRejected, done, rejections, skipped, notes, options.dryRun() ? sample : null, error);
        }
    }
}
