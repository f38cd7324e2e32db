package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.wiring.Outcome;

/** Applies pending migrations (target, dryRun, database, outOfOrder): the CLI's {@code migrate apply --format json}. */
public final class ApplyMigrations extends MigrationHandler {
    public ApplyMigrations() {
    }

    public ApplyMigrations(Container container) {
        super(container);
    }

    @Override
    protected Outcome<?> handle(MigrationRequest request, Container container) {
        return container.wiring().apply(request.database(), request.target(), request.dryRun(), request.outOfOrder(),
                request.resume());
    }
}
