package dev.cryoprotect.migrate.lambda;

/** The event or a migration file is invalid; nothing ran. */
public final class BadInputException extends HandlerException {
    private static final long serialVersionUID = 1L;

    BadInputException(String message) {
        super(message, dev.cryoprotect.migrate.Failure.BAD_INPUT);
    }
}
