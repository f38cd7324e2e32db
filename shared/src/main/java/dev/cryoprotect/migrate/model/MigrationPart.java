package dev.cryoprotect.migrate.model;

/** The file of one version that one database runs, identified for history and checksum checks. */
public record MigrationPart(Database database, String fileName, String checksum) {
}
