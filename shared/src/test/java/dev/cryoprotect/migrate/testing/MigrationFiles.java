package dev.cryoprotect.migrate.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes migration files into a temporary directory for a test. */
public final class MigrationFiles {
    private final Path dir;

    public MigrationFiles(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /**
     * A Convex migration that passes every file check and fails in Convex, as production would fail it: an update
     * grows a document past 1 MiB. Its insert comes first, so the failure also shows the mutation undone whole.
     */
    public static String failingInConvex(String version) {
        return "{\"version\": \"" + version + "\", \"schema\": {\"audit_notes\": {\"name\": \"string\", \"more\":"
                + " \"string?\"}}, \"data\": [{\"type\": \"insert\", \"table\": \"audit_notes\", \"data\":"
                + " {\"name\": \"grows\", \"more\": \"" + "m".repeat(600_000) + "\"}}, {\"type\": \"update\", \"table\":"
                + " \"audit_notes\", \"filter\": {\"name\": \"grows\"}, \"data\": {\"name\": \"" + "n".repeat(600_000)
                + "\"}}]}";
    }

    public MigrationFiles write(String name, String content) {
        try {
            Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public String read(String name) {
        try {
            return Files.readString(dir.resolve(name), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public MigrationFiles delete(String name) {
        try {
            Files.delete(dir.resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    public MigrationFiles append(String name, String text) {
        try {
            Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** Deletes every file of one version. */
    public MigrationFiles deleteVersion(String version) {
        try (var entries = Files.list(dir)) {
            for (Path p : entries.filter(p -> p.getFileName().toString().startsWith(version + "_")).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** A table-creating migration with its down file. */
    public MigrationFiles table(String version, String table) {
        write(version + "_create_" + table + ".sql", "CREATE TABLE " + table + " (id int PRIMARY KEY);\n");
        return write(version + "_create_" + table + ".down.sql", "DROP TABLE " + table + ";\n");
    }
}
