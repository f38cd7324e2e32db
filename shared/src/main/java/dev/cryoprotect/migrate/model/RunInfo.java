package dev.cryoprotect.migrate.model;

/** Who runs and which run this is, recorded with every history row. */
public record RunInfo(String runId, String appliedBy) {
}
