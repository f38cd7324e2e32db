// Tables the migration framework owns in your Convex deployment. Spread them into your schema:
//
//   import { defineSchema } from "convex/server";
//   import { includeMigrationSchema } from "./migrations/schema";
//   export default defineSchema(includeMigrationSchema({ users: defineTable({...}) }));
import { defineTable } from "convex/server";
import { v } from "convex/values";

export const migrationTables = {
  // One row per applied version: the seed's migrations table (version, name, description, applied_at) plus the
  // file's checksum and who applied it. `state` is "rolling_back" while a large rollback runs in several steps.
  migrations: defineTable({
    version: v.string(),
    name: v.string(),
    description: v.optional(v.string()),
    checksum: v.string(),
    applied_at: v.number(),
    run_id: v.string(),
    applied_by: v.string(),
    baselined: v.optional(v.boolean()),
    state: v.optional(v.union(v.literal("applied"), v.literal("rolling_back"))),
  }).index("by_version", ["version"]),

  // The exact inverse of what a version did (ids it inserted, prior values it patched, documents it deleted), in
  // chunks so a large migration never needs one oversized document. Rollback replays them newest first.
  migration_inverse: defineTable({
    version: v.string(),
    seq: v.number(),
    entries: v.array(v.any()),
  }).index("by_version_seq", ["version", "seq"]),

  // Documents a rollback re-inserted got new ids (Convex never reuses one): older versions' inverse entries that name
  // the old id are redirected here. Emptied when no version is applied any more.
  migration_id_remap: defineTable({
    version: v.string(),
    old_id: v.string(),
    new_id: v.string(),
  }).index("by_old", ["old_id"]),

  // The run lock: a lease with an owner and an expiry, so a crashed runner never holds it forever.
  migration_locks: defineTable({
    name: v.string(),
    owner: v.string(),
    acquired_at: v.number(),
    expires_at: v.number(),
  }).index("by_name", ["name"]),

  // Sync: each source row (table + primary key, as canonical JSON) maps to exactly one document, with a hash of the
  // document last written, so a re-run updates instead of inserting and skips rows that did not change.
  sync_ids: defineTable({
    source_table: v.string(),
    source_key: v.string(),
    doc_id: v.string(),
    hash: v.string(),
  }).index("by_source", ["source_table", "source_key"]).index("by_doc", ["doc_id"]),

  // Sync: rows that could not be written (a value without a Convex type, a document over a limit). Kept until the row
  // syncs or is gone, and retried by every run, so a rejected row behind the high-water mark is never forgotten.
  sync_rejections: defineTable({
    source_table: v.string(),
    source_key: v.string(),
    reason: v.string(),
    first_seen: v.number(),
    last_seen: v.number(),
  }).index("by_source", ["source_table", "source_key"]),

  // Sync: the high-water mark of an incremental sync per table (cursor column value and primary key of the last row
  // whose batch, and every batch before it, committed).
  sync_state: defineTable({
    source_table: v.string(),
    cursor_column: v.string(),
    // The PostgreSQL schema the table was read from (absent: written before it was kept). Two tables of one name in
    // two schemas would otherwise share one Convex table's documents and mark.
    source_schema: v.optional(v.string()),
    mark: v.any(),
    updated_at: v.number(),
  }).index("by_table", ["source_table"]),

  // Progress of a batched migration that spans several mutations, so a rerun continues where it stopped. While it
  // exists the version is PARTIAL: `batches` of its `total_batches` chunks committed, up to op `next_index` of
  // `total_ops`. Once a rollback has started undoing it, `rolling_back` is set and it can no longer be continued.
  migration_progress: defineTable({
    version: v.string(),
    checksum: v.string(),
    next_index: v.number(),
    next_seq: v.number(),
    started_at: v.number(),
    batches: v.optional(v.number()),
    name: v.optional(v.string()),
    total_ops: v.optional(v.number()),
    total_batches: v.optional(v.number()),
    rolling_back: v.optional(v.boolean()),
    run_id: v.optional(v.string()),
  }).index("by_version", ["version"]),
};

/** Adds the framework's tables to your own, as the seed's includeMigrationSchema did. */
export function includeMigrationSchema<T extends Record<string, unknown>>(tables: T): T & typeof migrationTables {
  return { ...tables, ...migrationTables };
}
