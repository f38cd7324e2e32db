package dev.cryoprotect.migrate.report;

import dev.cryoprotect.migrate.model.StepOutcome;

/**
 * What happened to one migration in a run.
 *
 * @param message why it failed or was skipped, or a summary of what it did; null when there is nothing to add
 */
public record StepResult(String version, String name, String file, StepOutcome outcome, long durationMs, String message) {
}
