package dev.cryoprotect.migrate.report;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;

/** A failure as it appears in a JSON result: its kind, exit code, message and where it happened. */
public record ErrorReport(Failure failure, int exitCode, String message, String file, Integer line) {
    public static ErrorReport of(MigrateException e) {
        return of(e.failure(), e.getMessage(), e.file(), e.line());
    }

    public static ErrorReport of(Failure failure, String message, String file, Integer line) {
        return new ErrorReport(failure, failure.exitCode(), message, file, line);
    }
}
