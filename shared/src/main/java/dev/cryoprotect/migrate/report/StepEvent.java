package dev.cryoprotect.migrate.report;

/** One finished step of a run, as the structured log records it: which run, database and migration, and how it went. */
public record StepEvent(String runId, String database, String operation, boolean dryRun, StepResult step) {
}
