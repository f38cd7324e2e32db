package dev.cryoprotect.migrate.model;

import java.time.Instant;

/**
 * One row of a database's migration history.
 *
 * @param checksum   null for rows adopted from an older history table, which had none
 * @param recordedIn null for this tool's own history; else the other tool's table that says the version is applied
 *                   (the Supabase CLI's {@code supabase_migrations.schema_migrations})
 * @param state      whether the version is applied whole, or an apply or rollback of it stopped part way
 * @param progress   for an unfinished state, how far it got, for people ("3 of 5 statements ran"); else null
 */
public record AppliedMigration(Version version, String name, String checksum, Instant appliedAt, Long executionMs,
                               String runId, String appliedBy, String recordedIn, State state, String progress) {

    /** How far a version got. */
    public enum State {
        /** Applied whole. */
        APPLIED,
        /** An apply stopped part way (a batched Convex migration, a no-transaction SQL file): part of it is in. */
        PARTIAL,
        /** A rollback stopped part way: part of the version is undone. */
        ROLLING_BACK
    }

    public AppliedMigration(Version version, String name, String checksum, Instant appliedAt, Long executionMs,
                            String runId, String appliedBy) {
        this(version, name, checksum, appliedAt, executionMs, runId, appliedBy, null, State.APPLIED, null);
    }

    /** Applied according to another tool's history only, not (yet) this tool's. */
    public boolean foreign() {
        return recordedIn != null;
    }

    public boolean unfinished() {
        return state != State.APPLIED;
    }
}
