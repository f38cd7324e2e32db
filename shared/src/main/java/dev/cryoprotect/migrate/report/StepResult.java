package dev.cryoprotect.migrate.report;

/**
 * What happened to one migration in a run.
 *
 * @param outcome one of {@code applied}, {@code rolled_back}, {@code would_apply}, {@code would_roll_back},
 *                {@code skipped}, {@code failed}, {@code baselined}, {@code checksum_updated}
 */
public record StepResult(String version, String name, String file, String outcome, long durationMs, String message) {
}
