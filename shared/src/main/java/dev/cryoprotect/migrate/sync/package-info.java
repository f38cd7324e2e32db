/**
 * Supabase to Convex data sync: table discovery in the PostgreSQL catalog, the documented type mapping, keyset
 * pagination, batches written idempotently through Convex's sync_ids mapping, an incremental high-water mark, prune.
 */
package dev.cryoprotect.migrate.sync;
