package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.target.DatabaseTarget;

import java.util.List;

/** Status of every selected database side by side: the CLI's {@code migrate status --format json}. */
public final class MigrationStatus extends MigrationHandler {
    public MigrationStatus() {
    }

    public MigrationStatus(Services services) {
        super(services);
    }

    @Override
    protected Outcome handle(MigrationRequest request, LambdaEvent.Source source, Services services) {
        List<DatabaseTarget> targets = services.targets(request.database());
        try {
            return Outcome.ok(services.orchestrator(targets, false).status(null));
        } finally {
            targets.forEach(DatabaseTarget::close);
        }
    }
}
