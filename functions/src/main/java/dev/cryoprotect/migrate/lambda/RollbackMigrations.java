package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.wiring.Outcome;

/** Rolls back (target, dryRun, database): the CLI's {@code migrate rollback --format json}. */
public final class RollbackMigrations extends MigrationHandler {
    public RollbackMigrations() {
    }

    public RollbackMigrations(Container container) {
        super(container);
    }

    @Override
    protected Outcome<?> handle(MigrationRequest request, Container container) {
        return container.wiring().rollback(request.database(), request.target(), request.dryRun(), request.resume());
    }
}
