/**
 * Supabase to Convex data sync: {@link dev.cryoprotect.migrate.sync.SyncEngine} reads tables through a
 * {@link dev.cryoprotect.migrate.sync.TableReader} (PostgreSQL: catalog lookup, keyset pages), converts rows with the
 * documented type mapping, and writes ordered batches to a {@link dev.cryoprotect.migrate.sync.SyncSink} (Convex:
 * idempotent upserts through sync_ids, a high-water mark, prune).
 */
package dev.cryoprotect.migrate.sync;
