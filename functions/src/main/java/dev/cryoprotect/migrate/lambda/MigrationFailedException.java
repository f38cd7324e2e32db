package dev.cryoprotect.migrate.lambda;

/** A migration failed and was rolled back; retrying will fail the same way. */
public final class MigrationFailedException extends HandlerException {
    private static final long serialVersionUID = 1L;

    MigrationFailedException(String message) {
        super(message, dev.cryoprotect.migrate.Failure.MIGRATION_FAILED);
    }
}
