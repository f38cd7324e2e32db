/**
 * The database seam: {@link dev.cryoprotect.migrate.database.DatabaseTarget} is everything the core needs from a
 * database (history, lock, apply one, roll back one, dry run). One sub-package per database: {@code postgres}
 * (Supabase) and {@code convex}.
 */
package dev.cryoprotect.migrate.database;
