package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.source.MigrationScaffold;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

@Command(name = "create", description = "Create the next migration's files from templates.")
final class CreateCommand extends FilesCommand {
    @Option(names = "--name", paramLabel = "NAME", required = true, description = "snake_case name, such as add_teams.")
    String name;
    @Option(names = "--kind", paramLabel = "sql|convex|both", defaultValue = "both",
            description = "Which files: sql (.sql and .down.sql), convex (.json) or both (default: ${DEFAULT-VALUE}).")
    String kind;

    @Override
    public Integer call() throws IOException {
        if (settings().migrationsBucket() == null) {
            Files.createDirectories(settings().migrationsDir()); // the first migration of a new project
        }
        return print(filesOnly().create(name, MigrationScaffold.Kind.parse(kind)), this::created);
    }

    private void created(Map<String, Object> result) {
        String directory = (String) result.get("directory");
        for (Object file : (List<?>) result.get("created")) {
            output().line("created " + (directory.endsWith("/") ? directory : directory + "/") + file);
        }
    }
}
