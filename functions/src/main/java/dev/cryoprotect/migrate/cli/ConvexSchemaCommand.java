package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.database.convex.ConvexSchemaRenderer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

@Command(name = "convex-schema", description = "Print (or write with --out) the Convex schema.ts that the migrations"
        + " declare: defineSchema, defineTable, v.*, .index, plus the framework's tables.")
final class ConvexSchemaCommand extends FilesCommand {
    @Option(names = "--out", paramLabel = "FILE", description = "Write it to FILE (for example convex/schema.ts).")
    Path out;

    @Override
    public Integer call() throws IOException {
        String schema = ConvexSchemaRenderer.render(filesOnly().loadMigrations());
        if (out != null) {
            if (out.getParent() != null) {
                Files.createDirectories(out.getParent());
            }
            Files.writeString(out, schema, StandardCharsets.UTF_8);
        }
        if (output().isJson()) { // the schema.ts text as a JSON string, for a script to compare or write
            output().json(out == null ? java.util.Map.of("schema", schema)
                    : java.util.Map.of("schema", schema, "wrote", out.toString()));
            return 0;
        }
        cli.out.print(out == null ? schema : "wrote " + out + System.lineSeparator());
        cli.out.flush();
        return 0;
    }
}
