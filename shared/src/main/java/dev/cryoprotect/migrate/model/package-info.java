/**
 * Immutable values for migration files: versions, SQL scripts, Convex migrations (schema, data ops, indexes) and the
 * ordered set of all migrations with its cumulative declared Convex schema.
 */
package dev.cryoprotect.migrate.model;
