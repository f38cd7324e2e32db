package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.target.DatabaseTarget;

import java.util.List;

/** Applies pending migrations (target, dryRun, database, outOfOrder): the CLI's {@code migrate apply --format json}. */
public final class ApplyMigrations extends MigrationHandler {
    public ApplyMigrations() {
    }

    public ApplyMigrations(Services services) {
        super(services);
    }

    @Override
    protected Outcome handle(MigrationRequest request, LambdaEvent.Source source, Services services) {
        List<DatabaseTarget> targets = services.targets(request.database());
        try {
            return RunResults.outcome(services.orchestrator(targets, request.outOfOrder())
                    .apply(request.target(), request.dryRun()));
        } finally {
            targets.forEach(DatabaseTarget::close);
        }
    }
}
