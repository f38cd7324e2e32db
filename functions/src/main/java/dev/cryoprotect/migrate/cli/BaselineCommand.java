package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;

@Command(name = "baseline", description = "Mark an existing database as already at --version: record the migrations"
        + " up to it without running them. With --from-supabase-cli, adopt the versions 'supabase db push' recorded.")
final class BaselineCommand extends DatabaseCommand {
    @Option(names = "--version", paramLabel = "VERSION", description = "The version the database is at.")
    Version version;
    @Option(names = "--from-supabase-cli", description = "Record the versions that only the Supabase CLI's history"
            + " (supabase_migrations.schema_migrations) has, without running them.")
    boolean fromSupabaseCli;
    @Option(names = {"-y", "--yes"}, description = "Confirm without asking (needed in a production environment when"
            + " there is no terminal).")
    boolean yes;

    @Override
    public Integer call() {
        if ((version == null) == !fromSupabaseCli) {
            throw MigrateException.badInput("baseline needs exactly one of --version VERSION and --from-supabase-cli");
        }
        confirmInProduction(yes, "baseline", () -> List.of(fromSupabaseCli
                ? "record as applied, without running them, the versions only the Supabase CLI's history has"
                : "record every migration up to " + version.text() + " as applied on " + databases().name()
                .toLowerCase(java.util.Locale.ROOT) + " without running it"));
        return print(fromSupabaseCli ? wiring().adoptSupabaseCliHistory(databases())
                : wiring().baseline(databases(), version), output()::runs);
    }
}
