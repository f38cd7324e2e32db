package dev.cryoprotect.migrate.source;

import java.util.List;

/**
 * Where migration files live: one flat folder (a directory, an S3 prefix). Every implementation passes
 * {@code MigrationSourceContractTest}: it lists only the folder's own files, refuses files over
 * {@link #MAX_FILE_BYTES}, reports a missing folder as BAD_INPUT naming it, and adds a file without ever replacing one.
 */
public interface MigrationSource {
    /** Files larger than this are refused: no migration needs it, and reading it could exhaust a Lambda's memory. */
    long MAX_FILE_BYTES = 16L * 1024 * 1024;

    /** A file's name (no folder) and its raw bytes. */
    record SourceFile(String name, byte[] content) {
    }

    /** Every file directly in the folder, in no particular order. */
    List<SourceFile> files();

    /**
     * The folders directly inside this one, which are not read (their names, hidden ones left out), so that a folder
     * laid out in sub-folders is not taken silently for one with nothing in it. Empty where the source cannot tell.
     */
    default List<String> folders() {
        return List.of();
    }

    /** Whether a file (or anything else) of that name is already in the folder. */
    boolean exists(String name);

    /**
     * Writes a new file, atomically refusing when the name is taken (even by a writer racing this one).
     *
     * @throws dev.cryoprotect.migrate.MigrateException BAD_INPUT when a file of that name already exists
     */
    void createNew(String name, byte[] content);

    /** Where the files are, for messages: a path or an s3:// address. */
    String describe();
}
