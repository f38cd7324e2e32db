package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.wiring.Outcome;

import java.util.List;

/** Applies pending migrations (target, dryRun, database, outOfOrder): the CLI's {@code migrate apply --format json}. */
public final class ApplyMigrations extends MigrationHandler {
    public ApplyMigrations() {
    }

    public ApplyMigrations(Container container) {
        super(container);
    }

    /** A container made per invoke, as {@link Container#shared()} is: its set-up may fail like a cold start's. */
    public ApplyMigrations(java.util.function.Supplier<Container> containers) {
        super(containers);
    }

    @Override
    protected Outcome<?> handle(MigrationRequest request, Container container) {
        Outcome<List<RunResult>> outcome = container.wiring().apply(request.database(), request.target(),
                request.dryRun(), request.outOfOrder(), request.resume(), request.runId());
        return request.compact() ? Outcome.summaries(outcome.result()) : outcome;
    }
}
