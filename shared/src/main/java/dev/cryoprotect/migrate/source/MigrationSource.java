package dev.cryoprotect.migrate.source;

import java.util.List;

/**
 * Where migration files live. Implementations list the files of one flat folder (a directory, an S3 prefix) and can
 * add a new file without ever replacing an existing one.
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
     * Writes a new file.
     *
     * @throws dev.cryoprotect.migrate.MigrateException BAD_INPUT when a file of that name already exists
     */
    void createNew(String name, byte[] content);

    /** Where the files are, for messages: a path or an s3:// address. */
    String describe();
}
