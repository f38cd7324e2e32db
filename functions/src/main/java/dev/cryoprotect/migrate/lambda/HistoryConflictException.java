package dev.cryoprotect.migrate.lambda;

/** The history disagrees with the files; nothing ran. */
public final class HistoryConflictException extends HandlerException {
    private static final long serialVersionUID = 1L;

    HistoryConflictException(String message) {
        super(message, dev.cryoprotect.migrate.Failure.HISTORY_CONFLICT);
    }
}
