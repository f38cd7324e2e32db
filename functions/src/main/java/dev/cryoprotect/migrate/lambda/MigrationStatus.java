package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.wiring.Outcome;

/** Status of every selected database side by side: the CLI's {@code migrate status --format json}. */
public final class MigrationStatus extends MigrationHandler {
    public MigrationStatus() {
    }

    public MigrationStatus(Container container) {
        super(container);
    }

    /** A container made per invoke, as {@link Container#shared()} is: its set-up may fail like a cold start's. */
    public MigrationStatus(java.util.function.Supplier<Container> containers) {
        super(containers);
    }

    @Override
    protected Outcome<?> handle(MigrationRequest request, Container container) {
        return request.plan() ? container.wiring().plan(request.database(), request.target())
                : container.wiring().status(request.database(), null);
    }
}
