package dev.cryoprotect.migrate.report;

/**
 * A row a sync could not write, as kept in Convex until it syncs or its source row is gone.
 *
 * @param key       the row's primary key, as canonical JSON
 * @param firstSeen ISO-8601 instant of the first run that rejected it; {@code lastSeen} of the latest
 */
public record SyncRejection(String table, String key, String reason, String firstSeen, String lastSeen) {
}
