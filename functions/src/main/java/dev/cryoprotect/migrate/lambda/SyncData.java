package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.MigrateException;

/**
 * Syncs Supabase data to Convex (tables, limit, dryRun); invoked directly, over API Gateway, by the EventBridge
 * schedule and by the universal run's optional sync step. The sync core is not built yet: until it is, every invoke
 * fails with a clear bad-input error and changes nothing, rather than succeeding silently.
 */
public final class SyncData extends MigrationHandler {
    public SyncData() {
    }

    public SyncData(Services services) {
        super(services);
    }

    @Override
    protected Outcome handle(MigrationRequest request, LambdaEvent.Source source, Services services) {
        throw MigrateException.badInput("SyncData: the Supabase to Convex data sync is not available in this version;"
                + " nothing was read or written" + (request.tables().isEmpty() ? "" : " (tables requested: "
                + String.join(", ", request.tables()) + ")"));
    }
}
