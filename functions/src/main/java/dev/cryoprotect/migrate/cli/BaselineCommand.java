package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.model.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "baseline", description = "Mark an existing database as already at --version: record the migrations"
        + " up to it without running them.")
final class BaselineCommand extends DatabaseCommand {
    @Option(names = "--version", paramLabel = "VERSION", required = true, description = "The version the database is at.")
    Version version;

    @Override
    public Integer call() {
        return print(wiring().baseline(databases(), version), output()::runs);
    }
}
