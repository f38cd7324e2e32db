package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.sync.SyncEngine;
import dev.cryoprotect.migrate.sync.SyncOptions;
import dev.cryoprotect.migrate.wiring.Outcome;

/**
 * Syncs Supabase tables to Convex (tables, limit, dryRun, prune): the CLI's {@code migrate sync --format json}.
 * Invoked directly, over API Gateway, by the EventBridge schedule and by the universal run's optional sync step.
 * Logs a JSON progress event at most every few seconds while it runs.
 */
public final class SyncData extends MigrationHandler {
    private static final long PROGRESS_EVERY_NANOS = 5_000_000_000L;

    public SyncData() {
    }

    public SyncData(Container container) {
        super(container);
    }

    @Override
    protected Outcome<?> handle(MigrationRequest request, Container container) {
        SyncOptions options = SyncOptions.defaults().withTables(request.tables()).withDryRun(request.dryRun())
                .withLimit(request.limit()).withPrune(request.prune());
        if (request.prune() && !request.dryRun()) {
            confirmedInProduction(container, request, "sync with prune", () -> container.wiring().prunePlan(options)
                    .entrySet().stream().map(e -> "delete " + e.getValue() + " Convex document(s) of " + e.getKey())
                    .toList());
        }
        long[] lastLog = {System.nanoTime()};
        SyncEngine.Progress progress = (table, batch, read, written) -> {
            if (System.nanoTime() - lastLog[0] >= PROGRESS_EVERY_NANOS) {
                lastLog[0] = System.nanoTime();
                container.log().event("sync_progress", "INFO", table + ": " + read + " rows read, " + written
                        + " written, batch " + batch);
            }
        };
        return container.wiring().sync(options, progress);
    }
}
