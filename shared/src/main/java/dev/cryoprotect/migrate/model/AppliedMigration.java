package dev.cryoprotect.migrate.model;

import java.time.Instant;

/**
 * One row of a database's migration history.
 *
 * @param checksum   null for rows adopted from an older history table, which had none
 * @param recordedIn null for this tool's own history; else the other tool's table that says the version is applied
 *                   (the Supabase CLI's {@code supabase_migrations.schema_migrations})
 */
public record AppliedMigration(Version version, String name, String checksum, Instant appliedAt, Long executionMs,
                               String runId, String appliedBy, String recordedIn) {

    public AppliedMigration(Version version, String name, String checksum, Instant appliedAt, Long executionMs,
                            String runId, String appliedBy) {
        this(version, name, checksum, appliedAt, executionMs, runId, appliedBy, null);
    }

    /** Applied according to another tool's history only, not (yet) this tool's. */
    public boolean foreign() {
        return recordedIn != null;
    }
}
