package dev.cryoprotect.migrate.report;

import java.util.List;

/**
 * The result of apply, rollback, repair or baseline on one database.
 *
 * @param operation      apply, rollback, repair or baseline
 * @param initialVersion the highest applied version before the run ("" when none)
 * @param finalVersion   the highest applied version after the run (unchanged by a dry run)
 * @param error          null when {@code success}; otherwise why the run stopped (steps before it stand)
 */
public record RunResult(String database, String operation, boolean dryRun, String runId, String initialVersion,
                        String finalVersion, List<StepResult> steps, boolean success, String message,
                        ErrorReport error) {
    public RunResult {
        steps = List.copyOf(steps);
    }

    /** The same result with the steps counted by outcome instead of listed: what a state machine carries. */
    public Summary summary() {
        java.util.Map<String, Long> counts = new java.util.TreeMap<>();
        steps.forEach(s -> counts.merge(s.outcome().id(), 1L, Long::sum));
        return new Summary(database, operation, dryRun, runId, initialVersion, finalVersion, counts, success, message,
                error);
    }

    /** {@link RunResult} without its step list: bounded in size however many migrations ran. */
    public record Summary(String database, String operation, boolean dryRun, String runId, String initialVersion,
                          String finalVersion, java.util.Map<String, Long> steps, boolean success, String message,
                          ErrorReport error) {
    }
}
