/**
 * Where migration files come from (a directory, an S3 prefix) and how they become a validated
 * {@link dev.cryoprotect.migrate.model.MigrationSet}: file-name rules, SQL statement splitting, Convex JSON parsing,
 * and the templates {@code create} writes.
 */
package dev.cryoprotect.migrate.source;
