package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.wiring.Outcome;

/**
 * The API's way to the universal state machine, for CI: {@code POST /runs} (target, dryRun, sync, tables) starts a
 * run and answers 202 with its {@code runId}; {@code GET /runs/{runId}} answers its status and, once it ended, the
 * run's output or what failed. {@code migrate remote} is the client that starts and polls.
 */
public final class UniversalRunsApi extends MigrationHandler {
    public UniversalRunsApi() {
    }

    public UniversalRunsApi(Container container) {
        super(container);
    }

    /** A container made per invoke, as {@link Container#shared()} is: its set-up may fail like a cold start's. */
    public UniversalRunsApi(java.util.function.Supplier<Container> containers) {
        super(containers);
    }

    @Override
    protected Outcome<?> handle(MigrationRequest request, Container container) {
        if (request.runId() != null) {
            return container.wiring().universalRuns().describe(request.runId());
        }
        return container.wiring().universalRuns().start(request.target(), request.dryRun(), request.sync(),
                request.tables());
    }
}
