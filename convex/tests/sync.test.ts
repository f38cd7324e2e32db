// The sync functions, run by convex-test as Convex would run them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { convexTest } from "convex-test";
import { makeFunctionReference } from "convex/server";
import type { Value } from "convex/values";
import schema from "../schema";
import { functionModules } from "../server/modules";

function backend() {
  const t = convexTest({ schema, modules: functionModules(), transactionLimits: true });
  const call = t as unknown as Record<"query" | "mutation", (ref: unknown, args: Record<string, Value>) => Promise<any>>;
  return {
    query: (name: string, args: Record<string, Value>) => call.query(makeFunctionReference(`migrations/sync:${name}`), args),
    mutation: (name: string, args: Record<string, Value>) => call.mutation(makeFunctionReference(`migrations/sync:${name}`), args),
    docs: (table: string) => t.run(async (ctx) => await ctx.db.query(table as never).collect()) as Promise<any[]>,
    run: (f: (ctx: any) => Promise<unknown>) => t.run(f as never),
  };
}

const rows = [
  { key: '["1"]', hash: "h1", doc: { name: "a" } },
  { key: '["2"]', hash: "h2", doc: { name: "b" } },
];

test("upserts are idempotent: a re-sent batch changes nothing, a changed row replaces its document", async () => {
  const b = backend();
  assert.deepEqual(await b.mutation("upsertBatch", { table: "users", target: "users", rows }), { inserted: 2, updated: 0, unchanged: 0 });
  assert.deepEqual(await b.mutation("upsertBatch", { table: "users", target: "users", rows }), { inserted: 0, updated: 0, unchanged: 2 });
  const changed = [{ key: '["1"]', hash: "h1b", doc: { name: "a2", extra: true } }];
  assert.deepEqual(await b.mutation("upsertBatch", { table: "users", target: "users", rows: changed }), { inserted: 0, updated: 1, unchanged: 0 });
  const docs = (await b.docs("users")).map(({ _id, _creationTime, ...d }) => d).sort((x, y) => x.name.localeCompare(y.name));
  assert.deepEqual(docs, [{ name: "a2", extra: true }, { name: "b" }]);
  assert.equal((await b.docs("sync_ids")).length, 2);
});

test("compareBatch says what upsertBatch would do and changes nothing", async () => {
  const b = backend();
  const keysAndHashes = (rs: typeof rows) => rs.map(({ key, hash }) => ({ key, hash }));
  assert.deepEqual(await b.query("compareBatch", { table: "users", rows: keysAndHashes(rows) }), { inserted: 2, updated: 0, unchanged: 0 });
  assert.equal((await b.docs("users")).length, 0);
  await b.mutation("upsertBatch", { table: "users", target: "users", rows });
  const next = [{ key: '["1"]', hash: "h1" }, { key: '["2"]', hash: "h2b" }, { key: '["3"]', hash: "h3" }];
  assert.deepEqual(await b.query("compareBatch", { table: "users", rows: next }), { inserted: 1, updated: 1, unchanged: 1 });
  const docs = await b.docs("users");
  await b.run(async (ctx: any) => await ctx.db.delete(docs[0]._id)); // deleted in Convex: the sync inserts it again
  assert.deepEqual(await b.query("compareBatch", { table: "users", rows: keysAndHashes(rows) }), { inserted: 1, updated: 0, unchanged: 1 });
  assert.equal((await b.docs("users")).length, 1, "compareBatch wrote nothing");
});

test("marks are stored per table; prune deletes documents and mappings of vanished rows", async () => {
  const b = backend();
  await b.mutation("upsertBatch", { table: "users", target: "users", rows });
  assert.equal(await b.query("getMark", { table: "users" }), null);
  await b.mutation("setMark", { table: "users", cursorColumn: "updated_at", mark: [1700000000000, '["2"]'] });
  assert.deepEqual(await b.query("getMark", { table: "users" }),
    { cursorColumn: "updated_at", sourceSchema: null, mark: [1700000000000, '["2"]'] });
  await b.mutation("setMark", { table: "users", cursorColumn: "updated_at", sourceSchema: "auth", mark: [] });
  assert.deepEqual(await b.query("getMark", { table: "users" }), { cursorColumn: "updated_at", sourceSchema: "auth", mark: [] });
  await b.mutation("setMark", { table: "users", cursorColumn: "updated_at", mark: [1700000000000, '["2"]'] });
  assert.equal((await b.query("getMark", { table: "users" })).sourceSchema, "auth", "kept when not given");
  assert.deepEqual(await b.query("listKeys", { table: "users", after: "", limit: 10 }), ['["1"]', '["2"]']);
  assert.deepEqual(await b.query("listKeys", { table: "users", after: '["1"]', limit: 10 }), ['["2"]']);
  assert.deepEqual(await b.mutation("deleteKeys", { table: "users", keys: ['["1"]', '["9"]'] }), { deleted: 1 });
  assert.deepEqual((await b.docs("users")).map((d) => d.name), ["b"]);
  assert.equal((await b.docs("sync_ids")).length, 1);
});
