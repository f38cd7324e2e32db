package dev.cryoprotect.migrate.local;

/** A local database could not be started, found or stopped. The message says where to look (a log file). */
public final class LocalDatabaseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LocalDatabaseException(String message) {
        super(message);
    }

    public LocalDatabaseException(String message, Throwable cause) {
        super(message, cause);
    }
}
