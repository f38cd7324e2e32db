package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.testing.MigrationSourceContractTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The source contract on a local folder. */
@Tag("fast")
class DirectorySourceTest extends MigrationSourceContractTest {
    @TempDir
    Path dir;

    @Override
    protected MigrationSource emptySource() {
        return new DirectorySource(dir);
    }

    @Override
    protected MigrationSource missingSource() {
        return new DirectorySource(dir.resolve("no-such-folder"));
    }

    @Override
    protected void put(MigrationSource source, String relativePath, byte[] content) {
        try {
            Path file = dir.resolve(relativePath);
            Files.createDirectories(file.getParent());
            Files.write(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
