package dev.cryoprotect.migrate.convex;

/** A failed Convex call: either the function threw ({@link FunctionError}) or the call never completed ({@link TransportError}). */
public abstract sealed class ConvexException extends RuntimeException
        permits ConvexException.FunctionError, ConvexException.TransportError {
    private static final long serialVersionUID = 1L;

    ConvexException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * Whether {@code message} is a function's argument validator refusing a field it does not know, which nothing ran
     * past: the sign of a convex/ deployed before the caller, to be called as it takes its arguments.
     */
    public static boolean refusesUnknownArgument(String message) {
        return message != null && (message.contains("extra field") // Convex
                || message.contains("Unexpected field")); // convex-test, behind the local backend
    }

    /**
     * The function ran and threw (HTTP 560). {@link #data()} is the decoded {@code ConvexError} data, or null for any
     * other error. Convex undid the function's writes.
     */
    public static final class FunctionError extends ConvexException {
        private static final long serialVersionUID = 1L;
        private final transient Object data;
        private final String path;

        public FunctionError(String path, String errorMessage, Object data) {
            super(path + ": " + errorMessage, null);
            this.path = path;
            this.data = data;
        }

        public Object data() {
            return data;
        }

        public String path() {
            return path;
        }

        /** The {@code code} field of ConvexError data, or null. */
        public String code() {
            return data instanceof java.util.Map<?, ?> m && m.get("code") instanceof String s ? s : null;
        }
    }

    /**
     * The call did not complete: connection refused or reset, timeout, or an HTTP status other than 200 and 560,
     * after the retries. {@link #status()} is the HTTP status, or 0 when there was none.
     */
    public static final class TransportError extends ConvexException {
        private static final long serialVersionUID = 1L;
        private final int status;

        public TransportError(String message, int status, Throwable cause) {
            super(message, cause);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }
}
