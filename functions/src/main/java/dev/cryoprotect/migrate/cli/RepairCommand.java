package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.MigrationState;
import dev.cryoprotect.migrate.report.StatusEntry;
import dev.cryoprotect.migrate.wiring.Wiring;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;

@Command(name = "repair", description = "Record the current checksums of applied files that changed, after you"
        + " confirm the edits are intended.")
final class RepairCommand extends DatabaseCommand {
    @Option(names = {"-y", "--yes"}, description = "Confirm without asking (needed when there is no terminal).")
    boolean yes;

    @Override
    public Integer call() {
        Wiring wiring = wiring();
        List<String> changed = wiring.status(databases(), null).result().databases().values().stream()
                .flatMap(r -> r.migrations().stream()).filter(e -> e.state() == MigrationState.CHANGED)
                .map(StatusEntry::file).distinct().toList();
        if (!changed.isEmpty() && !yes && !confirm(changed)) {
            throw MigrateException.badInput("repair not confirmed; nothing was changed. Re-run with --yes once you"
                    + " have checked that the edited files match what the database already has");
        }
        return print(wiring.repair(databases()), output()::runs);
    }

    private boolean confirm(List<String> changed) {
        if (System.console() == null) {
            return false;
        }
        cli.out.println("These applied files changed since they were applied:");
        changed.forEach(file -> cli.out.println("  " + file));
        cli.out.print("Their edits will NOT be run; only the recorded checksums change. Type 'yes' to continue: ");
        cli.out.flush();
        try {
            String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            return "yes".equalsIgnoreCase(answer == null ? "" : answer.strip());
        } catch (IOException e) {
            return false;
        }
    }
}
