package dev.cryoprotect.migrate.lambda;

/** Another run holds the lock; nothing ran. Safe to retry later. */
public final class LockBusyException extends HandlerException {
    private static final long serialVersionUID = 1L;

    LockBusyException(String message) {
        super(message, dev.cryoprotect.migrate.Failure.LOCK_BUSY);
    }
}
