package dev.cryoprotect.migrate.sync;

import java.util.List;
import java.util.Map;

/**
 * What to sync and how.
 *
 * @param schema        the source schema
 * @param tables        tables to sync; empty means every base table of {@code schema} except the framework's
 * @param limit         at most this many rows per table, or null for all
 * @param cursorColumns per table: the cursor column, or "" for a full pass (default: updated_at when present)
 * @param batchRows     rows per Convex mutation, at most
 * @param batchBytes    encoded bytes per Convex mutation, at most
 * @param inFlight      batches sent at once
 * @param pageRows      rows per keyset page read from PostgreSQL (each page one COPY)
 * @param maxDuration   stop reading new rows after this long (the first table still gets a batch; tables not started
 *                      by then are left), commit what was read, and report the tables left to do; null for no limit (a
 *                      Lambda sets it well inside its 15 minutes, and calls again)
 * @param range         sync only this key range of the one table given, with its own durable progress (one worker of
 *                      a fan-out); null for whole tables
 * @param lookback      a time cursor's mark stays this far behind the database's clock: a transaction that stamped its
 *                      rows earlier but commits after a sync read past them is found by the next (zero: no margin)
 */
public record SyncOptions(String schema, List<String> tables, boolean dryRun, Integer limit, boolean prune,
                          Map<String, String> cursorColumns, int batchRows, long batchBytes, int inFlight,
                          int pageRows, java.time.Duration maxDuration, KeyRange range, java.time.Duration lookback) {

    /**
     * A slice of a table by primary key, for fan-out: the rows after {@code after} (exclusive; null from the start) up
     * to {@code until} (inclusive; null to the end), keys as text in primary-key column order.
     */
    public record KeyRange(String id, List<String> after, List<String> until) {
    }

    /** Longer than an application's transactions run; rows this recent are read again by the next sync (unchanged). */
    public static final java.time.Duration DEFAULT_LOOKBACK = java.time.Duration.ofMinutes(5);

    public SyncOptions {
        tables = List.copyOf(tables);
        cursorColumns = Map.copyOf(cursorColumns);
    }

    public static SyncOptions defaults() {
        return new SyncOptions("public", List.of(), false, null, false, Map.of(), 500, 2L << 20, 4, 50_000, null, null,
                DEFAULT_LOOKBACK);
    }

    public SyncOptions withSchema(String newSchema) {
        return new SyncOptions(newSchema, tables, dryRun, limit, prune, cursorColumns, batchRows, batchBytes, inFlight,
                pageRows, maxDuration, range, lookback);
    }

    public SyncOptions withTables(List<String> newTables) {
        return new SyncOptions(schema, newTables, dryRun, limit, prune, cursorColumns, batchRows, batchBytes, inFlight,
                pageRows, maxDuration, range, lookback);
    }

    public SyncOptions withDryRun(boolean newDryRun) {
        return new SyncOptions(schema, tables, newDryRun, limit, prune, cursorColumns, batchRows, batchBytes, inFlight,
                pageRows, maxDuration, range, lookback);
    }

    public SyncOptions withLimit(Integer newLimit) {
        return new SyncOptions(schema, tables, dryRun, newLimit, prune, cursorColumns, batchRows, batchBytes, inFlight,
                pageRows, maxDuration, range, lookback);
    }

    public SyncOptions withPrune(boolean newPrune) {
        return new SyncOptions(schema, tables, dryRun, limit, newPrune, cursorColumns, batchRows, batchBytes, inFlight,
                pageRows, maxDuration, range, lookback);
    }

    public SyncOptions withCursors(Map<String, String> cursors) {
        return new SyncOptions(schema, tables, dryRun, limit, prune, cursors, batchRows, batchBytes, inFlight,
                pageRows, maxDuration, range, lookback);
    }

    public SyncOptions withBatching(int rows, long bytes, int parallel) {
        return new SyncOptions(schema, tables, dryRun, limit, prune, cursorColumns, rows, bytes, parallel, pageRows,
                maxDuration, range, lookback);
    }

    public SyncOptions withMaxDuration(java.time.Duration duration) {
        return new SyncOptions(schema, tables, dryRun, limit, prune, cursorColumns, batchRows, batchBytes, inFlight,
                pageRows, duration, range, lookback);
    }

    public SyncOptions withRange(KeyRange newRange) {
        return new SyncOptions(schema, tables, dryRun, limit, prune, cursorColumns, batchRows, batchBytes, inFlight,
                pageRows, maxDuration, newRange, lookback);
    }

    public SyncOptions withLookback(java.time.Duration newLookback) {
        return new SyncOptions(schema, tables, dryRun, limit, prune, cursorColumns, batchRows, batchBytes, inFlight,
                pageRows, maxDuration, range, newLookback);
    }
}
