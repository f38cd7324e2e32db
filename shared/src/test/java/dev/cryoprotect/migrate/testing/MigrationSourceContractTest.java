package dev.cryoprotect.migrate.testing;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.source.MigrationSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The behaviour every {@link MigrationSource} must show (see its doc comment), run against its real storage. A new
 * source is "implement the interface, extend this class".
 */
public abstract class MigrationSourceContractTest {

    /** A source over a fresh, empty folder. */
    protected abstract MigrationSource emptySource();

    /** A source whose folder does not exist. */
    protected abstract MigrationSource missingSource();

    /** Puts a file into the source's folder behind its back (as a user or another tool would). */
    protected abstract void put(MigrationSource source, String relativePath, byte[] content);

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anEmptyFolderHasNoFiles() {
        assertEquals(List.of(), emptySource().files());
    }

    @Test
    void listsTheFolderOwnFilesWithTheirBytesAndNothingBelowIt() {
        MigrationSource source = emptySource();
        put(source, "001_a.sql", text("CREATE TABLE a (id int);"));
        put(source, "README.md", text("notes"));
        put(source, "archive/002_old.sql", text("SELECT 1;"));
        List<MigrationSource.SourceFile> files = source.files().stream()
                .sorted(Comparator.comparing(MigrationSource.SourceFile::name)).toList();
        assertEquals(List.of("001_a.sql", "README.md"), files.stream().map(MigrationSource.SourceFile::name).toList());
        assertArrayEquals(text("CREATE TABLE a (id int);"), files.get(0).content());
    }

    /** Sub-folders are not read, but named, so that a notice can say so; hidden ones are left out. */
    @Test
    void namesItsSubFoldersButNotHiddenOnes() {
        MigrationSource source = emptySource();
        put(source, "001_a.sql", text("CREATE TABLE a (id int);"));
        put(source, "2024/002_b.sql", text("SELECT 1;"));
        put(source, "archive/old/003_c.sql", text("SELECT 1;"));
        put(source, ".git/HEAD", text("ref"));
        assertEquals(List.of("2024", "archive"), source.folders(), "before any listing of files");
        assertEquals(1, source.files().size());
        assertEquals(List.of("2024", "archive"), source.folders(), "after one");
    }

    @Test
    void createNewWritesAFileThatIsThenListedAndExists() {
        MigrationSource source = emptySource();
        assertFalse(source.exists("001_a.sql"));
        source.createNew("001_a.sql", text("SELECT 1;"));
        assertTrue(source.exists("001_a.sql"));
        assertEquals(List.of("001_a.sql"), source.files().stream().map(MigrationSource.SourceFile::name).toList());
        assertArrayEquals(text("SELECT 1;"), source.files().get(0).content());
    }

    @Test
    void createNewNeverReplacesAFile() {
        MigrationSource source = emptySource();
        put(source, "001_a.sql", text("the original"));
        MigrateException e = assertThrows(MigrateException.class, () -> source.createNew("001_a.sql", text("DROP TABLE x;")));
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertTrue(e.getMessage().contains("001_a.sql already exists") && e.getMessage().contains("refusing to overwrite"),
                e.getMessage());
        assertEquals("001_a.sql", e.file());
        assertArrayEquals(text("the original"), source.files().get(0).content());
    }

    @Test
    void aFileOverTheLimitIsRefusedByName() {
        MigrationSource source = emptySource();
        put(source, "001_huge.sql", new byte[(int) MigrationSource.MAX_FILE_BYTES + 1]);
        MigrateException e = assertThrows(MigrateException.class, source::files);
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertEquals("001_huge.sql", e.file());
        assertTrue(e.getMessage().contains("larger than 16 MiB"), e.getMessage());
    }

    @Test
    void aMissingFolderIsBadInputThatNamesIt() {
        MigrationSource source = missingSource();
        MigrateException e = assertThrows(MigrateException.class, source::files);
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertTrue(e.getMessage().contains(source.describe()), e.getMessage());
    }
}
