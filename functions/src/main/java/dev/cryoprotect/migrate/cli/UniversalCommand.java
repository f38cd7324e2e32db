package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.model.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "universal", description = "The universal run: apply to Supabase, then to Convex; if Convex fails,"
        + " undo this run, Convex first, then Supabase. Prints the unified result (target, supabase, convex,"
        + " compensation, ended, success, message, error).")
final class UniversalCommand extends DatabaseCommand {
    @Option(names = "--target", paramLabel = "VERSION", description = "Apply up to and including this version.")
    Version target;
    @Option(names = "--dry-run", description = "Dry-run both databases: report what would fail, change nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        return print(wiring().universal(databases(), target, dryRun), output()::universal);
    }
}
