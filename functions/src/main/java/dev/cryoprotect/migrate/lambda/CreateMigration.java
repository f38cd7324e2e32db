package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.source.MigrationScaffold;
import dev.cryoprotect.migrate.source.MigrationSource;

import java.time.Clock;
import java.util.List;
import java.util.Map;

/** Writes the next version's template files (name, kind) to the migrations bucket, never over an existing file. */
public final class CreateMigration extends MigrationHandler {
    public CreateMigration() {
    }

    public CreateMigration(Services services) {
        super(services);
    }

    @Override
    protected Outcome handle(MigrationRequest request, LambdaEvent.Source source, Services services) {
        MigrationScaffold.Kind kind = MigrationScaffold.Kind.parse(request.kind());
        MigrationSource target = services.source();
        List<String> created = MigrationScaffold.create(target, request.name(), kind, Clock.systemUTC());
        return Outcome.ok(Map.of("created", created, "directory", target.describe()));
    }
}
