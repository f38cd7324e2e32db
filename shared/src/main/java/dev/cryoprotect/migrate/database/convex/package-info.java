/**
 * Convex as a migration target: {@link dev.cryoprotect.migrate.database.convex.ConvexTarget} drives the internal
 * functions in {@code convex/migrations/runner.ts} (history, recorded inverse, lease lock, batched progress, dry run)
 * through their typed calls in {@code MigrationFunctions}; {@code ConvexSchemaRenderer} writes the schema.ts the
 * migrations declare.
 */
package dev.cryoprotect.migrate.database.convex;
