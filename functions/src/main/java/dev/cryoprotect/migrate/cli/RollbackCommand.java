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

    @Override
    public Integer call() {
        return print(wiring().rollback(databases(), target, dryRun), output()::runs);
    }
}
