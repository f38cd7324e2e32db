package dev.cryoprotect.migrate;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/**
 * What kind of failure stopped a run. Each kind has its own process exit code (the CLI) and HTTP status (API Gateway),
 * so scripts and CI can tell "fix your file" from "try again later" without parsing text.
 */
public enum Failure {
    /** A migration's statement or data op failed; that migration was rolled back where it ran in a transaction. */
    MIGRATION_FAILED(1, 500),
    /** Malformed or contradictory input: a migration file, a name, an option. Nothing was run. */
    BAD_INPUT(2, 400),
    /** Another run holds the migration lock. Nothing was run; retrying later is safe. */
    LOCK_BUSY(3, 409),
    /** The database could not be reached or refused the login. Nothing was run. */
    UNREACHABLE(4, 503),
    /** The database's history disagrees with the files (changed, missing or out-of-order migrations). Nothing was run. */
    HISTORY_CONFLICT(5, 409);

    private final int exitCode;
    private final int httpStatus;

    Failure(int exitCode, int httpStatus) {
        this.exitCode = exitCode;
        this.httpStatus = httpStatus;
    }

    /** How JSON results and logs name it: {@code lock_busy}. */
    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public int exitCode() {
        return exitCode;
    }

    public int httpStatus() {
        return httpStatus;
    }
}
