package dev.cryoprotect.migrate.lambda;

/** A database could not be reached; nothing ran (Convex: an in-flight migration landed whole or not at all). */
public final class UnreachableException extends HandlerException {
    private static final long serialVersionUID = 1L;

    UnreachableException(String message) {
        super(message, dev.cryoprotect.migrate.Failure.UNREACHABLE);
    }
}
