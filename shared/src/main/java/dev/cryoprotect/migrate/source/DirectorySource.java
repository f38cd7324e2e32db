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

/** Migration files in one local directory (not its subdirectories). */
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
            for (Path entry : entries) {
                if (!Files.isRegularFile(entry)) {
                    continue;
                }
                String name = entry.getFileName().toString();
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
