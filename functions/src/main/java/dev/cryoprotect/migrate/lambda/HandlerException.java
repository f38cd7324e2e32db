package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.Failure;

/**
 * What a handler throws on a direct invoke (console, Step Functions) so the failure is a Lambda error whose
 * {@code errorType} names its kind: Step Functions' Retry and Catch match on these class names.
 */
public class HandlerException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final Failure failure;

    protected HandlerException(String message, Failure failure) {
        super(message, null, false, false); // the message carries everything; no stack trace in the error payload
        this.failure = failure;
    }

    public Failure failure() {
        return failure;
    }

    /** The exception class for a failure kind; its message is the JSON the CLI would print. */
    static HandlerException of(Failure failure, String message) {
        return switch (failure) {
            case MIGRATION_FAILED -> new MigrationFailedException(message);
            case BAD_INPUT -> new BadInputException(message);
            case LOCK_BUSY -> new LockBusyException(message);
            case UNREACHABLE -> new UnreachableException(message);
            case HISTORY_CONFLICT -> new HistoryConflictException(message);
        };
    }
}
