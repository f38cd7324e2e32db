package dev.cryoprotect.migrate.lambda;

/** Status of every selected database side by side: the CLI's {@code migrate status --format json}. */
public final class MigrationStatus extends MigrationHandler {
    public MigrationStatus() {
    }

    public MigrationStatus(Services services) {
        super(services);
    }

    @Override
    protected Outcome handle(MigrationRequest request, LambdaEvent.Source source, Services services) {
        return Outcome.ok(services.withOrchestrator(request.database(), false, o -> o.status(null)));
    }
}
