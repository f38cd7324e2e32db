package dev.cryoprotect.migrate.lambda;

/** Rolls back (target, dryRun, database): the CLI's {@code migrate rollback --format json}. */
public final class RollbackMigrations extends MigrationHandler {
    public RollbackMigrations() {
    }

    public RollbackMigrations(Services services) {
        super(services);
    }

    @Override
    protected Outcome handle(MigrationRequest request, LambdaEvent.Source source, Services services) {
        return RunResults.outcome(services.withOrchestrator(request.database(), false,
                o -> o.rollback(request.target(), request.dryRun())));
    }
}
