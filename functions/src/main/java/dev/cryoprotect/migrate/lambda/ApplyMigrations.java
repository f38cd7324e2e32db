package dev.cryoprotect.migrate.lambda;

/** Applies pending migrations (target, dryRun, database, outOfOrder): the CLI's {@code migrate apply --format json}. */
public final class ApplyMigrations extends MigrationHandler {
    public ApplyMigrations() {
    }

    public ApplyMigrations(Services services) {
        super(services);
    }

    @Override
    protected Outcome handle(MigrationRequest request, LambdaEvent.Source source, Services services) {
        return RunResults.outcome(services.withOrchestrator(request.database(), request.outOfOrder(),
                o -> o.apply(request.target(), request.dryRun())));
    }
}
