package dev.cryoprotect.migrate;

/**
 * The one exception type the core throws for anything a user must act on. The message is written for a person: it names
 * the file (and line) where there is one and says what to do next. It never contains a password or key.
 */
public class MigrateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Failure failure;
    private final String file;
    private final Integer line;

    public MigrateException(Failure failure, String message) {
        this(failure, message, null, null, null);
    }

    public MigrateException(Failure failure, String message, Throwable cause) {
        this(failure, message, null, null, cause);
    }

    public MigrateException(Failure failure, String message, String file, Integer line, Throwable cause) {
        super(message, cause);
        this.failure = failure;
        this.file = file;
        this.line = line;
    }

    public Failure failure() {
        return failure;
    }

    /** The migration file the error is about, or null. */
    public String file() {
        return file;
    }

    /** The 1-based line in {@link #file()}, or null. */
    public Integer line() {
        return line;
    }

    public static MigrateException badInput(String message) {
        return new MigrateException(Failure.BAD_INPUT, message);
    }
}
