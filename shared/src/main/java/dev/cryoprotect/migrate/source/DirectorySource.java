package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Migration files in one local directory (not its subdirectories). A link is followed only to a file inside the
 * directory: one leading elsewhere could carry a local file (a secret) into a remote database and its logs.
 */
public final class DirectorySource implements MigrationSource {
    private final Path directory;

    public DirectorySource(Path directory) {
        this.directory = directory;
    }

    @Override
    public List<SourceFile> files() {
        if (!Files.isDirectory(directory)) {
            throw new MigrateException(Failure.BAD_INPUT, "migrations directory " + directory
                    + " does not exist; pass --migrations DIR or create it with 'migrate create --name NAME'");
        }
        List<SourceFile> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            Path home = directory.toRealPath();
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (Files.isSymbolicLink(entry)) {
                    checkLink(entry, name, home);
                }
                if (!Files.isRegularFile(entry)) {
                    continue;
                }
                if (Files.size(entry) > MAX_FILE_BYTES) {
                    throw new MigrateException(Failure.BAD_INPUT, name + ": file is larger than "
                            + MAX_FILE_BYTES / (1024 * 1024) + " MiB; split it into several migrations", name, null, null);
                }
                files.add(new SourceFile(name, Files.readAllBytes(entry)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read migrations directory " + directory, e);
        }
        return files;
    }

    /** A link must resolve to a file inside the folder; a broken one named like a migration is an error too. */
    private static void checkLink(Path entry, String name, Path home) throws IOException {
        if (!Files.exists(entry)) {
            if (LOOKS_LIKE_MIGRATION.matcher(name).matches()) {
                throw new MigrateException(Failure.BAD_INPUT, name + " is a link to a file that does not exist;"
                        + " restore its target or delete the link", name, null, null);
            }
            return;
        }
        if (!entry.toRealPath().startsWith(home)) {
            throw new MigrateException(Failure.BAD_INPUT, name + " is a link to a file outside the migrations folder;"
                    + " copy the file into the folder instead", name, null, null);
        }
    }

    private static final java.util.regex.Pattern LOOKS_LIKE_MIGRATION = java.util.regex.Pattern.compile(
            "[0-9]+_.*\\.(sql|json)");

    @Override
    public boolean exists(String name) {
        return Files.exists(directory.resolve(name), java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public void createNew(String name, byte[] content) {
        try {
            Files.createDirectories(directory);
            Files.write(directory.resolve(name), content, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            throw new MigrateException(Failure.BAD_INPUT, name + " already exists in " + directory
                    + "; refusing to overwrite it", name, null, e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + directory.resolve(name), e);
        }
    }

    @Override
    public String describe() {
        return directory.toString();
    }
}
