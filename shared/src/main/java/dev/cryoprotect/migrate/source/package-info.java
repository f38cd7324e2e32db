/**
 * Where migration files come from (a directory, later S3) and how they become a validated
 * {@link dev.cryoprotect.migrate.model.MigrationSet}: file-name rules, SQL statement splitting, Convex JSON parsing.
 */
package dev.cryoprotect.migrate.source;
