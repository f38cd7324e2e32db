package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.report.SyncSummary;
import dev.cryoprotect.migrate.report.ErrorReport;
import dev.cryoprotect.migrate.source.MigrationLoader;
import dev.cryoprotect.migrate.sync.ConvexSyncSink;
import dev.cryoprotect.migrate.sync.SyncEngine;
import dev.cryoprotect.migrate.target.convex.ConvexClient;

/**
 * Syncs Supabase tables to Convex (tables, limit, dryRun, prune): the CLI's {@code migrate sync --format json}.
 * Invoked directly, over API Gateway, by the EventBridge schedule and by the universal run's optional sync step.
 * Logs a JSON progress event at most every few seconds while it runs.
 */
public final class SyncData extends MigrationHandler {
    private static final long PROGRESS_EVERY_NANOS = 5_000_000_000L;

    public SyncData() {
    }

    public SyncData(Services services) {
        super(services);
    }

    @Override
    protected Outcome handle(MigrationRequest request, LambdaEvent.Source source, Services services) {
        ConvexClient convex = services.convexClient();
        if (convex == null && !request.dryRun()) {
            throw MigrateException.badInput("SyncData needs Convex: set CONVEX_URL (and USE_CONVEX=true)");
        }
        SyncEngine.Options options = SyncEngine.Options.defaults().with(request.tables(), request.dryRun(),
                request.limit(), request.prune());
        long[] lastLog = {System.nanoTime()};
        SyncEngine.Progress progress = (table, batch, read, written) -> {
            if (System.nanoTime() - lastLog[0] >= PROGRESS_EVERY_NANOS) {
                lastLog[0] = System.nanoTime();
                services.log().event("sync_progress", "INFO", table + ": " + read + " rows read, " + written
                        + " written, batch " + batch);
            }
        };
        SyncSummary summary = new SyncEngine(services.postgres(), convex == null ? null : new ConvexSyncSink(convex),
                MigrationLoader.load(services.source()), options, progress).run();
        if (summary.failureCount() == 0) {
            return Outcome.ok(summary);
        }
        return new Outcome(summary, new ErrorReport("migration_failed", 1, summary.failureCount()
                + " row(s) or table(s) failed to sync; the rest synced (see results)", null, null));
    }
}
