package dev.cryoprotect.migrate.report;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;

/**
 * The result of a sync, in the seed's shape ({@code tables}, {@code total_count}, {@code success_count},
 * {@code failure_count}) plus what happened to each table.
 *
 * @param totalCount   rows read from Supabase
 * @param successCount rows now equal in Convex (inserted, updated or unchanged; in a dry run: converted)
 * @param failureCount rows rejected, plus one per table that failed as a whole
 * @param done         every table was read to its end; false when the time limit stopped the call (a Lambda's): call
 *                     again with {@code remaining}, and each continues from its kept progress
 * @param remaining    the tables not done
 */
public record SyncSummary(List<String> tables, @JsonProperty("total_count") long totalCount,
                          @JsonProperty("success_count") long successCount,
                          @JsonProperty("failure_count") long failureCount, boolean dryRun, boolean done,
                          List<String> remaining, List<TableResult> results) {

    public SyncSummary {
        tables = List.copyOf(tables);
        remaining = List.copyOf(remaining);
        results = List.copyOf(results);
    }

    /** One row that could not be written: its table, primary key (as JSON) and why. */
    public record Rejection(String table, String key, String reason) {
    }

    /**
     * @param rejected        rows this run could not write (read now, or retried from earlier runs)
     * @param pendingRejected rows still rejected after this run, kept in Convex and retried by every run until they
     *                        sync or their source row is gone; the sync fails (exit 1) while any is pending
     * @param error           why the whole table failed (bad name, no primary key, Convex unreachable), or null
     * @param sample          a converted document (dry run), or null
     * @param rejections      the first rejected rows (all are counted in {@code rejected})
     * @param notes           what the run noticed and the user may want to change (a cursor without an index)
     */
    public record TableResult(String table, String cursorColumn, long read, long inserted, long updated,
                              long unchanged, long deleted, long rejected, long pendingRejected, boolean done,
                              List<Rejection> rejections, List<String> skippedColumns, List<String> notes,
                              Map<String, Object> sample, String error) {
    }
}
