package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.target.DatabaseTarget;

import java.util.List;

/** Rolls back (target, dryRun, database): the CLI's {@code migrate rollback --format json}. */
public final class RollbackMigrations extends MigrationHandler {
    public RollbackMigrations() {
    }

    public RollbackMigrations(Services services) {
        super(services);
    }

    @Override
    protected Outcome handle(MigrationRequest request, LambdaEvent.Source source, Services services) {
        List<DatabaseTarget> targets = services.targets(request.database());
        try {
            return RunResults.outcome(services.orchestrator(targets, false).rollback(request.target(), request.dryRun()));
        } finally {
            targets.forEach(DatabaseTarget::close);
        }
    }
}
