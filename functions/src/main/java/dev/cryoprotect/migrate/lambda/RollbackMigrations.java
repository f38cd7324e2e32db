package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.wiring.Outcome;

import java.util.List;

/** Rolls back (target, dryRun, database): the CLI's {@code migrate rollback --format json}. */
public final class RollbackMigrations extends MigrationHandler {
    public RollbackMigrations() {
    }

    public RollbackMigrations(Container container) {
        super(container);
    }

    /** A container made per invoke, as {@link Container#shared()} is: its set-up may fail like a cold start's. */
    public RollbackMigrations(java.util.function.Supplier<Container> containers) {
        super(containers);
    }

    /**
     * undoRun is the universal state machine's compensation, which invokes this function directly; over the API it
     * would skip the production confirmation a rollback asks for, so it is refused there.
     */
    @Override
    protected com.fasterxml.jackson.databind.JsonNode overApi(com.fasterxml.jackson.databind.JsonNode input) {
        if (input != null && input.hasNonNull("undoRun")) {
            throw dev.cryoprotect.migrate.MigrateException.badInput("undoRun is the universal run's compensation and is"
                    + " not taken over the API: roll back with target (and \"yes\": true in production)");
        }
        return input;
    }

    @Override
    protected Outcome<?> handle(MigrationRequest request, Container container) {
        if (request.undoRun() != null) {
            return container.wiring().undoRun(request.database(), request.undoRun(), request.compact());
        }
        if (!request.dryRun()) {
            confirmedInProduction(container, request, "rollback",
                    () -> container.wiring().rollbackPlan(request.database(), request.target(), request.resume()));
        }
        Outcome<List<RunResult>> outcome = container.wiring().rollback(request.database(), request.target(),
                request.dryRun(), request.resume());
        return request.compact() ? Outcome.summaries(outcome.result()) : outcome;
    }
}
