package dev.cryoprotect.migrate.report;

import dev.cryoprotect.migrate.model.MigrationState;

/**
 * One version's state on one database.
 *
 * @param appliedAt  ISO-8601 instant, or null when not applied
 * @param recordedIn null when this tool's history says so; else the other tool's table that does (the Supabase CLI's)
 * @param detail     for PARTIAL and ROLLING_BACK: how far it got and the command that finishes or undoes it; else null
 */
public record StatusEntry(String version, String name, String file, MigrationState state, String appliedAt,
                          String appliedBy, String appliedChecksum, String fileChecksum, String recordedIn,
                          String detail) {
}
