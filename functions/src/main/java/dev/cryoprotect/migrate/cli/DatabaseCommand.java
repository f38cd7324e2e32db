package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.wiring.DatabaseSelection;
import dev.cryoprotect.migrate.wiring.Settings;
import dev.cryoprotect.migrate.wiring.Wiring;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;


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

    /**
     * In a production environment, {@code action} runs only when confirmed: {@code --yes}, or "yes" typed on a
     * terminal. Otherwise bad input that says what would have happened; nothing changes.
     */
    void confirmInProduction(boolean yes, String action, Supplier<List<String>> whatWouldHappen) {
        Settings settings = settings();
        if (settings.production() && !yes) {
            confirm(action + " in the production environment " + (settings.environment() == null
                    ? "(MIGRATE_PRODUCTION=true)" : settings.environment()), whatWouldHappen.get());
        }
    }

    /** Asks on a terminal; without one (or without a yes), refuses with what would have happened. */
    void confirm(String action, List<String> whatWouldHappen) {
        if (System.console() != null) {
            cli.out.println(action + " would:");
            whatWouldHappen.forEach(line -> cli.out.println("  " + line));
            cli.out.print("Type 'yes' to continue: ");
            cli.out.flush();
            try {
                String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                if ("yes".equalsIgnoreCase(answer == null ? "" : answer.strip())) {
                    return;
                }
            } catch (IOException e) {
                // no answer: not confirmed
            }
        }
        throw MigrateException.badInput(action + " needs confirmation. It would: " + String.join("; ", whatWouldHappen)
                + ". Nothing was changed; run again with --yes to do it");
    }

    /** The wiring, with the local databases to fall back on. */
    Wiring wiring() {
        return new Wiring(settings(), db.localDatabases(env()), event -> { }, this::notice);
    }
}
