package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.model.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "apply", description = "Apply pending migrations, each in one transaction with its history row.")
final class ApplyCommand extends DatabaseCommand {
    @Option(names = "--target", paramLabel = "VERSION", description = "Apply up to and including this version.")
    Version target;
    @Option(names = "--dry-run", description = "Run each migration and roll it back: report what would fail, change nothing.")
    boolean dryRun;
    @Option(names = "--out-of-order", description = "Also apply pending versions lower than the highest applied one.")
    boolean outOfOrder;
    @Option(names = "--resume", description = "First finish what an interrupted run left: complete a PARTIAL apply,"
            + " finish a ROLLING_BACK rollback. Without it such a state stops the run with exit code 5.")
    boolean resume;

    @Override
    public Integer call() {
        return print(wiring().apply(databases(), target, dryRun, outOfOrder, resume, null), output()::runs);
    }
}
