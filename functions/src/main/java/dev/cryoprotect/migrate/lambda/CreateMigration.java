package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.source.MigrationScaffold;
import dev.cryoprotect.migrate.wiring.Outcome;

/** Writes the next version's template files (name, kind) to the migrations bucket, never over an existing file. */
public final class CreateMigration extends MigrationHandler {
    public CreateMigration() {
    }

    public CreateMigration(Container container) {
        super(container);
    }

    /** A container made per invoke, as {@link Container#shared()} is: its set-up may fail like a cold start's. */
    public CreateMigration(java.util.function.Supplier<Container> containers) {
        super(containers);
    }

    @Override
    protected Outcome<?> handle(MigrationRequest request, Container container) {
        return container.wiring().create(request.name(), MigrationScaffold.Kind.parse(request.kind()));
    }
}
