// Supabase -> Convex sync: idempotent batch upserts through the sync_ids mapping, the incremental high-water mark,
// and pruning of documents whose source row is gone. Internal functions: the deploy key only.
import {
  defineSchema, internalMutationGeneric, internalQueryGeneric,
  type DataModelFromSchemaDefinition, type GenericDatabaseReader, type GenericDatabaseWriter, type MutationBuilder,
  type QueryBuilder,
} from "convex/server";
import { v, type Value } from "convex/values";
import { migrationTables } from "./schema";

const frameworkSchema = defineSchema(migrationTables);
type DataModel = DataModelFromSchemaDefinition<typeof frameworkSchema>;
const internalMutation: MutationBuilder<DataModel, "internal"> = internalMutationGeneric;
const internalQuery: QueryBuilder<DataModel, "internal"> = internalQueryGeneric;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AppDb = GenericDatabaseWriter<any>;

async function mapping(db: GenericDatabaseReader<DataModel>, table: string, key: string) {
  return await db.query("sync_ids").withIndex("by_source", (q) => q.eq("source_table", table).eq("source_key", key))
    .unique();
}

/**
 * Writes one batch of converted rows of one source table: a row whose key is new is inserted, one whose document
 * hash changed replaces its document, one with the same hash is left alone. Re-sending a batch changes nothing.
 */
export const upsertBatch = internalMutation({
  args: {
    table: v.string(),
    target: v.string(),
    rows: v.array(v.object({ key: v.string(), hash: v.string(), doc: v.any() })),
  },
  handler: async (ctx, { table, target, rows }) => {
    const app = ctx.db as unknown as AppDb;
    let inserted = 0;
    let updated = 0;
    let unchanged = 0;
    // A row that syncs is no longer rejected; look only when the table has rejections at all (one read per batch).
    const anyRejected = (await ctx.db.query("sync_rejections")
      .withIndex("by_source", (q) => q.eq("source_table", table)).first()) !== null;
    for (const row of rows) {
      if (anyRejected) {
        const rejection = await rejectionOf(ctx.db, table, row.key);
        if (rejection !== null) {
          await ctx.db.delete(rejection._id);
        }
      }
      const existing = await mapping(ctx.db, table, row.key);
      if (existing !== null && existing.hash === row.hash && (await app.get(existing.doc_id as never)) !== null) {
        unchanged++;
        continue;
      }
      if (existing !== null && (await app.get(existing.doc_id as never)) !== null) {
        await app.replace(existing.doc_id as never, row.doc as Record<string, Value>);
        await ctx.db.patch(existing._id, { hash: row.hash });
        updated++;
        continue;
      }
      const id = await app.insert(target, row.doc as Record<string, Value>);
      if (existing !== null) {
        await ctx.db.patch(existing._id, { doc_id: id, hash: row.hash }); // its document was deleted in Convex
      } else {
        await ctx.db.insert("sync_ids", { source_table: table, source_key: row.key, doc_id: id, hash: row.hash });
      }
      inserted++;
    }
    return { inserted, updated, unchanged };
  },
});

/**
 * What upsertBatch would do with these rows, changing nothing: a dry run's inserted, updated and unchanged. The same
 * tests as upsertBatch, read only.
 */
export const compareBatch = internalQuery({
  args: { table: v.string(), rows: v.array(v.object({ key: v.string(), hash: v.string() })) },
  handler: async (ctx, { table, rows }) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const app = ctx.db as unknown as GenericDatabaseReader<any>;
    let inserted = 0;
    let updated = 0;
    let unchanged = 0;
    for (const row of rows) {
      const existing = await mapping(ctx.db, table, row.key);
      if (existing === null || (await app.get(existing.doc_id as never)) === null) {
        inserted++;
      } else if (existing.hash === row.hash) {
        unchanged++;
      } else {
        updated++;
      }
    }
    return { inserted, updated, unchanged };
  },
});

async function rejectionOf(db: GenericDatabaseWriter<DataModel>, table: string, key: string) {
  return await db.query("sync_rejections")
    .withIndex("by_source", (q) => q.eq("source_table", table).eq("source_key", key)).unique();
}

/** Records rows that could not be written; a row rejected before keeps its first_seen. */
export const recordRejections = internalMutation({
  args: { table: v.string(), rows: v.array(v.object({ key: v.string(), reason: v.string() })) },
  handler: async (ctx, { table, rows }) => {
    const now = Date.now();
    for (const row of rows) {
      const existing = await rejectionOf(ctx.db, table, row.key);
      if (existing === null) {
        await ctx.db.insert("sync_rejections", {
          source_table: table, source_key: row.key, reason: row.reason, first_seen: now, last_seen: now,
        });
      } else {
        await ctx.db.patch(existing._id, { reason: row.reason, last_seen: now });
      }
    }
    return null;
  },
});

/** Forgets rejections whose source row is gone. */
export const clearRejections = internalMutation({
  args: { table: v.string(), keys: v.array(v.string()) },
  handler: async (ctx, { table, keys }) => {
    for (const key of keys) {
      const existing = await rejectionOf(ctx.db, table, key);
      if (existing !== null) {
        await ctx.db.delete(existing._id);
      }
    }
    return null;
  },
});

/** One page of a table's pending rejections, in key order. */
export const listRejections = internalQuery({
  args: { table: v.string(), after: v.string(), limit: v.number() },
  handler: async (ctx, { table, after, limit }) => {
    const page = await ctx.db.query("sync_rejections")
      .withIndex("by_source", (q) => q.eq("source_table", table).gt("source_key", after)).take(limit);
    return page.map((r) => ({ key: r.source_key, reason: r.reason, firstSeen: r.first_seen, lastSeen: r.last_seen }));
  },
});

/** The tables that have pending rejections. */
export const rejectedTables = internalQuery({
  args: {},
  handler: async (ctx) => {
    const tables: string[] = [];
    let next = await ctx.db.query("sync_rejections").withIndex("by_source").first();
    while (next !== null) {
      const table: string = next.source_table;
      tables.push(table);
      next = await ctx.db.query("sync_rejections")
        .withIndex("by_source", (q) => q.gt("source_table", table)).first();
    }
    return tables;
  },
});

/** The stored high-water mark of a table, or null. */
export const getMark = internalQuery({
  args: { table: v.string() },
  handler: async (ctx, { table }) => {
    const state = await ctx.db.query("sync_state").withIndex("by_table", (q) => q.eq("source_table", table)).unique();
    return state === null ? null : { cursorColumn: state.cursor_column, mark: state.mark };
  },
});

/** Stores a table's high-water mark; the caller does so only after every batch up to it committed. */
export const setMark = internalMutation({
  args: { table: v.string(), cursorColumn: v.string(), mark: v.any() },
  handler: async (ctx, { table, cursorColumn, mark }) => {
    const state = await ctx.db.query("sync_state").withIndex("by_table", (q) => q.eq("source_table", table)).unique();
    if (state === null) {
      await ctx.db.insert("sync_state", { source_table: table, cursor_column: cursorColumn, mark, updated_at: Date.now() });
    } else {
      await ctx.db.patch(state._id, { cursor_column: cursorColumn, mark, updated_at: Date.now() });
    }
    return null;
  },
});

/** One page of a table's mapped keys, for pruning. */
export const listKeys = internalQuery({
  args: { table: v.string(), after: v.string(), limit: v.number() },
  handler: async (ctx, { table, after, limit }) => {
    const page = await ctx.db.query("sync_ids")
      .withIndex("by_source", (q) => q.eq("source_table", table).gt("source_key", after)).take(limit);
    return page.map((m) => m.source_key);
  },
});

/** Deletes the documents (and mappings) of source rows that no longer exist. */
export const deleteKeys = internalMutation({
  args: { table: v.string(), keys: v.array(v.string()) },
  handler: async (ctx, { table, keys }) => {
    const app = ctx.db as unknown as AppDb;
    let deleted = 0;
    for (const key of keys) {
      const existing = await mapping(ctx.db, table, key);
      if (existing === null) {
        continue;
      }
      if ((await app.get(existing.doc_id as never)) !== null) {
        await app.delete(existing.doc_id as never);
        deleted++;
      }
      await ctx.db.delete(existing._id);
    }
    return { deleted };
  },
});
