package dev.cryoprotect.migrate.report;

import dev.cryoprotect.migrate.MigrateException;

/** A failure as it appears in a JSON result: its kind, exit code, message and where it happened. */
public record ErrorReport(String failure, int exitCode, String message, String file, Integer line) {
    public static ErrorReport of(MigrateException e) {
        return new ErrorReport(e.failure().name().toLowerCase(java.util.Locale.ROOT), e.failure().exitCode(),
                e.getMessage(), e.file(), e.line());
    }
}
