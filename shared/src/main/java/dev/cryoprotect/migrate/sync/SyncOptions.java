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
 * @param pageRows      rows per keyset page read from PostgreSQL
 * @param fetchSize     rows per network round trip within a page
 */
public record SyncOptions(String schema, List<String> tables, boolean dryRun, Integer limit, boolean prune,
                          Map<String, String> cursorColumns, int batchRows, long batchBytes, int inFlight,
                          int pageRows, int fetchSize) {

    public SyncOptions {
        tables = List.copyOf(tables);
        cursorColumns = Map.copyOf(cursorColumns);
    }

    public static SyncOptions defaults() {
        return new SyncOptions("public", List.of(), false, null, false, Map.of(), 500, 2L << 20, 4, 10_000, 1_000);
    }

    public SyncOptions withSchema(String newSchema) {
        return new SyncOptions(newSchema, tables, dryRun, limit, prune, cursorColumns, batchRows, batchBytes, inFlight,
                pageRows, fetchSize);
    }

    public SyncOptions withTables(List<String> newTables) {
        return new SyncOptions(schema, newTables, dryRun, limit, prune, cursorColumns, batchRows, batchBytes, inFlight,
                pageRows, fetchSize);
    }

    public SyncOptions withDryRun(boolean newDryRun) {
        return new SyncOptions(schema, tables, newDryRun, limit, prune, cursorColumns, batchRows, batchBytes, inFlight,
                pageRows, fetchSize);
    }

    public SyncOptions withLimit(Integer newLimit) {
        return new SyncOptions(schema, tables, dryRun, newLimit, prune, cursorColumns, batchRows, batchBytes, inFlight,
                pageRows, fetchSize);
    }

    public SyncOptions withPrune(boolean newPrune) {
        return new SyncOptions(schema, tables, dryRun, limit, newPrune, cursorColumns, batchRows, batchBytes, inFlight,
                pageRows, fetchSize);
    }

    public SyncOptions withCursors(Map<String, String> cursors) {
        return new SyncOptions(schema, tables, dryRun, limit, prune, cursors, batchRows, batchBytes, inFlight,
                pageRows, fetchSize);
    }

    public SyncOptions withBatching(int rows, long bytes, int parallel) {
        return new SyncOptions(schema, tables, dryRun, limit, prune, cursorColumns, rows, bytes, parallel, pageRows,
                fetchSize);
    }

    public SyncOptions withPaging(int rows, int fetch) {
        return new SyncOptions(schema, tables, dryRun, limit, prune, cursorColumns, batchRows, batchBytes, inFlight,
                rows, fetch);
    }
}
