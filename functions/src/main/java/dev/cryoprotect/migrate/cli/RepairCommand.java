package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.MigrationState;
import dev.cryoprotect.migrate.report.StatusEntry;
import dev.cryoprotect.migrate.wiring.Wiring;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;

@Command(name = "repair", description = "Record the current checksums of applied files that changed, after you"
        + " confirm the edits are intended.")
final class RepairCommand extends DatabaseCommand {
    @Option(names = {"-y", "--yes"}, description = "Confirm without asking (needed when there is no terminal).")
    boolean yes;

    @Override
    public Integer call() {
        Wiring wiring = wiring();
        var status = wiring.status(databases(), null);
        if (!status.ok()) { // a database that cannot be read now could answer during the repair, unasked about
            throw new MigrateException(status.error().failure(), status.error().message());
        }
        List<String> changed = status.result().databases().values().stream()
                .flatMap(r -> r.migrations().stream()).filter(e -> e.state() == MigrationState.CHANGED)
                .map(StatusEntry::file).distinct().toList();
        if (!changed.isEmpty() && !yes) {
            // Always asked, production or not: the edits are not run, only their checksums recorded.
            confirm("repair" + (settings().environment() == null ? "" : " in " + settings().environment()),
                    changed.stream().map(f -> "record the new checksum of " + f + " (its edit is NOT run)").toList());
        }
        return print(wiring.repair(databases()), output()::runs);
    }

}
