package dev.cryoprotect.migrate.source;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.testing.MigrationSourceContractTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void aLinkInsideTheFolderIsFollowed() throws IOException {
        Files.writeString(dir.resolve("shared.sql"), "SELECT 1;");
        Files.createSymbolicLink(dir.resolve("001_a.sql"), dir.resolve("shared.sql"));
        assertTrue(new DirectorySource(dir).files().stream().anyMatch(f -> f.name().equals("001_a.sql")));
    }

    @Test
    void aLinkToAFileOutsideTheFolderIsRefused(@TempDir Path elsewhere) throws IOException {
        Path secret = Files.writeString(elsewhere.resolve("credentials.sql"), "-- password=hunter2");
        Files.createSymbolicLink(dir.resolve("001_a.sql"), secret);
        MigrateException e = assertThrows(MigrateException.class, () -> new DirectorySource(dir).files());
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertEquals("001_a.sql", e.file());
        assertTrue(e.getMessage().contains("link to a file outside the migrations folder"), e.getMessage());
        assertFalse(e.getMessage().contains(elsewhere.toString()), "where it points is not shown: " + e.getMessage());
    }

    @Test
    void aDanglingLinkNamedLikeAMigrationIsAnErrorAndOtherwiseIgnored() throws IOException {
        Files.createSymbolicLink(dir.resolve("notes.txt"), dir.resolve("gone.txt"));
        assertEquals(List.of(), new DirectorySource(dir).files());
        Files.createSymbolicLink(dir.resolve("002_b.sql"), dir.resolve("gone.sql"));
        MigrateException e = assertThrows(MigrateException.class, () -> new DirectorySource(dir).files());
        assertTrue(e.getMessage().startsWith("002_b.sql is a link to a file that does not exist"), e.getMessage());
    }
}
