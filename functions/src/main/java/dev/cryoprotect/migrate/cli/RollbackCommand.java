package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.model.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "rollback", description = "Roll back the latest migration, or every one above --target, newest first,"
        + " with the .down.sql files.")
final class RollbackCommand extends DatabaseCommand {
    @Option(names = "--target", paramLabel = "VERSION",
            description = "Keep this version and those below it (000 rolls back everything).")
    Version target;
    @Option(names = "--dry-run", description = "Run the down files and roll them back: report what would fail, change nothing.")
    boolean dryRun;
    @Option(names = "--resume", description = "First end what an interrupted run left: finish a ROLLING_BACK rollback,"
            + " undo a PARTIAL apply (exactly the batches that ran). Alone, that is all it does.")
    boolean resume;
    @Option(names = {"-y", "--yes"}, description = "Confirm without asking (needed in a production environment when"
            + " there is no terminal).")
    boolean yes;

    @Override
    public Integer call() {
        if (!dryRun) {
            confirmInProduction(yes, "rollback", () -> wiring().rollbackPlan(databases(), target, resume));
        }
        return print(wiring().rollback(databases(), target, dryRun, resume), output()::runs);
    }
}
