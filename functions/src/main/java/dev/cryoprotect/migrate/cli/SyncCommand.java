package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.sync.SyncOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Command(name = "sync", description = "Sync Supabase tables to Convex: every row to exactly one document (re-runs"
        + " update, never duplicate), incrementally by a cursor column (updated_at by default), with the documented"
        + " type mapping. Exit code 1 when any row or table failed; the rest still syncs.")
final class SyncCommand extends DatabaseCommand {
    @Parameters(paramLabel = "TABLE", arity = "0..*",
            description = "Tables to sync (default: every base table of --schema except migrations).")
    List<String> tables = new ArrayList<>();
    @Option(names = "--dry-run", description = "Read and convert everything, write nothing; show a sample document per"
            + " table and what the sync would insert, update, leave unchanged and (with --prune) delete, compared with"
            + " what Convex holds.")
    boolean dryRun;
    @Option(names = "--limit", paramLabel = "N", description = "At most N rows per table; the next sync continues a"
            + " table with rows left.")
    Integer limit;
    @Option(names = "--prune", description = "Delete Convex documents whose source row no longer exists.")
    boolean prune;
    @Option(names = "--schema", paramLabel = "SCHEMA", defaultValue = "public",
            description = "Source schema (default: ${DEFAULT-VALUE}).")
    String schema;
    @Option(names = "--cursor", paramLabel = "TABLE=COLUMN",
            description = "Cursor column of a table (TABLE= for a full pass every time).")
    Map<String, String> cursors = new LinkedHashMap<>();
    @Option(names = "--lookback-seconds", paramLabel = "N", defaultValue = "300",
            description = "Keep a time cursor's mark N seconds behind the database's clock, so rows stamped by a"
                    + " transaction that commits late (or stamped in the future) are still found by the next sync;"
                    + " rows this recent are read again, and unchanged ones not written (default: ${DEFAULT-VALUE}).")
    int lookbackSeconds;
    @Option(names = "--batch-rows", paramLabel = "N", defaultValue = "500",
            description = "Rows per Convex mutation (default: ${DEFAULT-VALUE}).")
    int batchRows;
    @Option(names = "--in-flight", paramLabel = "N", defaultValue = "4",
            description = "Batches in flight at once (default: ${DEFAULT-VALUE}).")
    int inFlight;
    @Option(names = "--max-seconds", paramLabel = "N", description = "Stop reading after N seconds (after a batch at"
            + " least), keep the progress, and say which tables are left: the next sync continues them.")
    Integer maxSeconds;
    @Option(names = {"-y", "--yes"}, description = "Confirm --prune without asking (needed in a production environment"
            + " when there is no terminal).")
    boolean yes;
    @Option(names = "--rejections", description = "List the rows earlier syncs could not write (kept in Convex and"
            + " retried by every sync until they sync or their source row is gone), of the given tables or all; sync"
            + " nothing.")
    boolean listRejections;
    @Option(names = "--progress", paramLabel = "auto|line|json|none", defaultValue = "auto",
            description = "Progress on stderr: a live line on a terminal (auto), JSON events, or none.")
    String progressMode;

    @Override
    public Integer call() {
        if (listRejections) {
            return print(wiring().syncRejections(tables), output()::rejections);
        }
        if (limit != null && limit <= 0) {
            throw MigrateException.badInput("--limit must be a positive number of rows");
        }
        if (batchRows <= 0 || inFlight <= 0) {
            throw MigrateException.badInput("--batch-rows and --in-flight must be positive");
        }
        if (lookbackSeconds < 0) {
            throw MigrateException.badInput("--lookback-seconds must be 0 or more");
        }
        SyncOptions options = SyncOptions.defaults().withSchema(schema).withTables(tables).withDryRun(dryRun)
                .withLimit(limit).withPrune(prune).withCursors(cursors)
                .withBatching(batchRows, SyncOptions.defaults().batchBytes(), inFlight)
                .withMaxDuration(maxSeconds == null ? null : java.time.Duration.ofSeconds(maxSeconds))
                .withLookback(java.time.Duration.ofSeconds(lookbackSeconds));
        if (prune && !dryRun) {
            confirmInProduction(yes, "sync --prune", () -> wiring().prunePlan(options).entrySet().stream()
                    .map(e -> "delete " + e.getValue() + " Convex document(s) of " + e.getKey() + " whose rows are gone"
                            + " from Supabase").toList());
        }
        SyncProgress progress = new SyncProgress(cli.err, progressMode);
        try {
            return print(wiring().sync(options, progress), output()::sync);
        } finally {
            progress.done();
        }
    }
}
