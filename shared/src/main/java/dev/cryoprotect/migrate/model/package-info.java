/**
 * Immutable values: versions, SQL scripts, Convex migrations (schema, data ops, indexes), the ordered set of all
 * migrations with its cumulative declared Convex schema, and a database's history rows and states.
 */
package dev.cryoprotect.migrate.model;
