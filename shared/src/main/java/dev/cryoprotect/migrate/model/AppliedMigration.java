package dev.cryoprotect.migrate.model;

import dev.cryoprotect.migrate.model.Version;

import java.time.Instant;

/**
 * One row of a database's migration history.
 *
 * @param checksum null for rows adopted from the old history table, which had none
 */
public record AppliedMigration(Version version, String name, String checksum, Instant appliedAt, Long executionMs,
                               String runId, String appliedBy) {
}
