package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.wiring.DatabaseSelection;
import dev.cryoprotect.migrate.wiring.Settings;
import dev.cryoprotect.migrate.wiring.Wiring;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;


/** Base of the commands that run against the selected databases. */
abstract class DatabaseCommand extends FilesCommand {
    @Mixin
    Options.Database db;
    @Option(names = "--database", paramLabel = "supabase|convex|all", defaultValue = "all",
            description = "Which database: supabase, convex or all that are enabled (default: ${DEFAULT-VALUE}).")
    String database;

    DatabaseSelection databases() {
        return DatabaseSelection.parse(database);
    }

    @Override
    Settings settings() {
        return db.applyTo(super.settings());
    }

    /** The wiring, with the local databases to fall back on. */
    Wiring wiring() {
        return new Wiring(settings(), db.localDatabases(cli.env), event -> { }, this::notice);
    }
}
