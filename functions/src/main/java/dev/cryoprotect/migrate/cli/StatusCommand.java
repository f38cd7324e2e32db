package dev.cryoprotect.migrate.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;

@Command(name = "status", description = "Show every version's state on each database, side by side: APPLIED,"
        + " PENDING, OUT_OF_ORDER, CHANGED, MISSING, PARTIAL, ROLLING_BACK. A database that cannot be read is named"
        + " with its error, the others still shown (exit 4).")
final class StatusCommand extends DatabaseCommand {
    @Option(names = "--convex-schema", paramLabel = "FILE",
            description = "Also check that this deployed Convex schema.ts matches the schema the migrations declare.")
    Path convexSchema;

    @Override
    public Integer call() {
        return print(wiring().status(databases(), convexSchema), output()::status);
    }
}
