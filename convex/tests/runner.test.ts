// The migration functions, run by convex-test as Convex would run them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { convexTest } from "convex-test";
import { defineSchema, defineTable, makeFunctionReference } from "convex/server";
import { v } from "convex/values";
import { ConvexError, type Value } from "convex/values";
import schema from "../schema";
import { migrationTables } from "../migrations/schema";
import { functionModules } from "../server/modules";

type Args = Record<string, Value>;

function backend(limits: boolean | Record<string, number> = true, appSchema = schema) {
  const t = convexTest({ schema: appSchema, modules: functionModules(), transactionLimits: limits });
  const call = t as unknown as Record<"query" | "mutation", (ref: unknown, args: Args) => Promise<any>>;
  return {
    t,
    query: (name: string, args: Args = {}) => call.query(makeFunctionReference(`migrations/runner:${name}`), args),
    mutation: (name: string, args: Args) => call.mutation(makeFunctionReference(`migrations/runner:${name}`), args),
    docs: (table: string) => t.run(async (ctx) => await ctx.db.query(table as never).collect()) as Promise<any[]>,
  };
}

function migration(version: string, ops: Args[], checksum = "sum-" + version): Args {
  return { version, name: "m" + version, checksum, ops, owner: "runner-a", runId: "run-1", appliedBy: "test" };
}

const seedUsers: Args[] = [
  { index: 0, type: "insert", table: "users", data: { name: "Admin", email: "a@x.com", role: "admin" } },
  { index: 1, type: "insert", table: "users", data: { name: "Legacy", email: "l@x.com" } },
];

async function withLock(b: ReturnType<typeof backend>, owner = "runner-a") {
  const lock = await b.mutation("acquireLock", { owner, leaseMs: 60_000 });
  assert.equal(lock.acquired, true);
}

async function rejects(promise: Promise<unknown>, code: string): Promise<Record<string, Value>> {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ConvexError, `expected ConvexError ${code}, got ${e}`);
    const data = (e as ConvexError<Record<string, Value>>).data;
    assert.equal(data.code, code, JSON.stringify(data));
    return data;
  }
  assert.fail(`expected ConvexError ${code}`);
}

function strip(docs: any[]) {
  return docs.map(({ _id, _creationTime, ...rest }) => rest).sort((a, b) => a.email.localeCompare(b.email));
}

test("apply records the history row and the inverse; rollback restores the exact prior state", async () => {
  const b = backend();
  await withLock(b);
  assert.equal((await b.mutation("applyMigration", migration("001", seedUsers))).status, "applied");
  const before = strip(await b.docs("users"));

  const result = await b.mutation("applyMigration", migration("002", [
    { index: 0, type: "update", table: "users", filter: { email: "a@x.com" }, data: { role: "owner", team: "core" } },
    { index: 1, type: "update", table: "users", filter: { email: "l@x.com" }, data: { role: "gone" } },
    { index: 2, type: "delete", table: "users", filter: { email: "l@x.com" } },
    { index: 3, type: "insert", table: "teams", data: { name: "core" } },
  ]));
  // The legacy user was patched and then deleted in the same migration: rollback must undo both, in that order.
  assert.deepEqual([result.inserted, result.updated, result.deleted], [1, 2, 1]);
  assert.deepEqual(strip(await b.docs("users")), [{ name: "Admin", email: "a@x.com", role: "owner", team: "core" }]);

  const applied = await b.query("listApplied");
  assert.deepEqual(applied.applied.map((r: any) => r.version).sort(), ["001", "002"]);

  assert.equal((await b.mutation("rollbackMigration", { version: "002", owner: "runner-a" })).status, "rolled_back");
  // No originalData was given: the recorded inverse alone restores the patched fields (removing 'team') and the row.
  assert.deepEqual(strip(await b.docs("users")), before);
  assert.deepEqual(await b.docs("teams"), []);
  // 001's inverse still names the legacy user's old id: the remap stays while 001 is applied.
  assert.equal((await b.docs("migration_id_remap")).length, 1, "kept for the older version's entries");
  assert.deepEqual((await b.query("listApplied")).applied.map((r: any) => r.version), ["001"]);
  assert.equal((await b.docs("migration_inverse")).filter((d) => d.version === "002").length, 0);

  // Rolling back 001 removes what it inserted, the re-inserted legacy user included (found through the remap).
  assert.equal((await b.mutation("rollbackMigration", { version: "001", owner: "runner-a" })).status, "rolled_back");
  assert.deepEqual(await b.docs("users"), [], "the database is as before 001");
  assert.deepEqual(await b.docs("migration_id_remap"), [], "emptied once no version is applied");
});

test("a retried apply with the same checksum is a no-op that says so; another checksum is refused", async () => {
  const b = backend();
  await withLock(b);
  await b.mutation("applyMigration", migration("001", seedUsers));
  const retry = await b.mutation("applyMigration", migration("001", seedUsers));
  assert.equal(retry.status, "already_applied");
  assert.equal((await b.docs("users")).length, 2);
  const data = await rejects(b.mutation("applyMigration", migration("001", seedUsers, "other")), "CHECKSUM_MISMATCH");
  assert.match(String(data.message), /already applied to Convex/);
});

test("a failing op undoes the whole migration and names the op", async () => {
  const b = backend();
  await withLock(b);
  const data = await rejects(b.mutation("applyMigration", migration("001", [
    seedUsers[0],
    // The framework's own tables are declared in the schema, so a document of the wrong shape fails validation.
    { index: 1, type: "insert", table: "migration_locks", data: { bogus: 1 } },
  ])), "OP_FAILED");
  assert.equal(data.opIndex, 1);
  assert.deepEqual(await b.docs("users"), []);
  assert.deepEqual((await b.query("listApplied")).applied, []);
});

test("a dry run reports and leaves nothing behind", async () => {
  const b = backend();
  await withLock(b);
  const data = await rejects(b.mutation("dryRun", {
    owner: "runner-a", direction: "up",
    migrations: [{ version: "001", name: "m001", checksum: "s", ops: seedUsers }],
  }), "DRY_RUN");
  assert.deepEqual((data.report as any[]).map((r) => [r.version, r.ok, r.inserted]), [["001", true, 2]]);
  assert.deepEqual(await b.docs("users"), []);
  assert.deepEqual(await b.docs("migrations"), []);
  assert.deepEqual(await b.docs("migration_inverse"), []);
});

test("a dry run of a rollback undoes nothing for real", async () => {
  const b = backend();
  await withLock(b);
  await b.mutation("applyMigration", migration("001", seedUsers));
  const data = await rejects(b.mutation("dryRun", {
    owner: "runner-a", direction: "down", migrations: [{ version: "001", name: "m001", checksum: "x", ops: [] }],
  }), "DRY_RUN");
  assert.equal((data.report as any[])[0].status, "rolled_back");
  assert.equal((await b.docs("users")).length, 2);
  assert.equal((await b.query("listApplied")).applied.length, 1);
});

test("the lock lease excludes others until it expires, and fences a runner that lost it", async () => {
  const b = backend();
  assert.equal((await b.mutation("acquireLock", { owner: "a", leaseMs: 200 })).acquired, true);
  const busy = await b.mutation("acquireLock", { owner: "b", leaseMs: 200 });
  assert.equal(busy.acquired, false);
  assert.equal(busy.holder, "a");
  await new Promise((r) => setTimeout(r, 250));
  const taken = await b.mutation("acquireLock", { owner: "b", leaseMs: 60_000 });
  assert.equal(taken.acquired, true);
  assert.equal(taken.expiredHolder, "a");
  // "a" crashed or stalled past its lease: its writes are refused, and it cannot renew or release b's lock.
  await rejects(b.mutation("applyMigration", { ...migration("001", seedUsers), owner: "a" }), "LOCK_LOST");
  assert.equal((await b.mutation("renewLock", { owner: "a", leaseMs: 1000 })).renewed, false);
  assert.equal((await b.mutation("releaseLock", { owner: "a" })).released, false);
  assert.equal((await b.mutation("releaseLock", { owner: "b" })).released, true);
  assert.equal((await b.mutation("acquireLock", { owner: "c", leaseMs: 1000 })).acquired, true);
});

test("a migration past the per-mutation budget is refused with the version and the limit", async () => {
  const b = backend();
  await withLock(b);
  const ops: Args[] = [];
  for (let i = 0; i < 60; i++) {
    ops.push({ index: i, type: "insert", table: "items", data: { n: i } });
  }
  const limits = { documentsRead: 1000, documentsWritten: 50, bytesRead: 1 << 20, bytesWritten: 1 << 20 };
  const data = await rejects(b.mutation("applyMigration", { ...migration("007", ops), limits }), "TOO_LARGE");
  assert.equal(data.version, "007");
  assert.equal(data.limit, "documents written");
  assert.match(String(data.message), /"batched": true/);
  assert.deepEqual(await b.docs("items"), []);
});

test("update and delete ops read an index range, or one document by _id, not the whole table", async () => {
  // The deployed schema as `migrate convex-schema` renders it: the app's table with the index its migrations declare.
  const appSchema = defineSchema({
    ...migrationTables,
    users: defineTable({ email: v.string(), n: v.number(), role: v.optional(v.string()) }).index("by_email", ["email"]),
  });
  const b = backend(true, appSchema);
  await withLock(b);
  const ids = await b.t.run(async (ctx) => {
    const out: string[] = [];
    for (let n = 0; n < 3_000; n++) {
      out.push(await ctx.db.insert("users" as never, { email: `u${n}@x.com`, n } as never));
    }
    return out;
  });
  const limits = { documentsRead: 50, documentsWritten: 50, bytesRead: 1 << 20, bytesWritten: 1 << 20 };
  const lookup = { index: "by_email", fields: ["email"] };
  const applied = await b.mutation("applyMigration", { ...migration("010", [
    { index: 0, type: "update", table: "users", filter: { email: "u7@x.com", n: 7 }, data: { role: "owner" }, lookup },
    { index: 1, type: "update", table: "users", filter: { email: "u8@x.com", n: 9 }, data: { role: "none" }, lookup },
    { index: 2, type: "delete", table: "users", filter: { _id: ids[2999] } },
    { index: 3, type: "delete", table: "users", filter: { _id: "not-an-id" } },
  ]), limits });
  // Four ops over 3,000 documents within 50 reads; the second op's other field does not match, so nothing changes.
  assert.deepEqual([applied.status, applied.updated, applied.deleted], ["applied", 1, 1]);
  const users = await b.docs("users");
  assert.equal(users.length, 2_999);
  assert.deepEqual(users.filter((u) => u.role !== undefined).map((u) => [u.email, u.role]), [["u7@x.com", "owner"]]);

  // Without the lookup the same op scans: refused at the read limit, with advice that fits a scan.
  const scan = await rejects(b.mutation("applyMigration", { ...migration("011", [
    { index: 0, type: "update", table: "users", filter: { email: "u9@x.com" }, data: { role: "x" } },
  ]), limits }), "TOO_LARGE");
  assert.equal(scan.limit, "documents read");
  assert.match(String(scan.message), /reads all of table "users".*declare an index on "email" in a migration/);

  assert.equal((await b.mutation("rollbackMigration", { version: "010", owner: "runner-a" })).status, "rolled_back");
  const restored = await b.docs("users");
  assert.equal(restored.length, 3_000);
  assert.equal(restored.filter((u) => u.role !== undefined).length, 0);
});

test("an index the migrations declare but the deployment lacks: the op scans, and says so when that is too much", async () => {
  const b = backend();
  await withLock(b);
  await b.mutation("applyMigration", migration("001", seedUsers));
  const lookup = { index: "by_email", fields: ["email"] };
  const result = await b.mutation("applyMigration", migration("002", [
    { index: 0, type: "update", table: "users", filter: { email: "l@x.com" }, data: { role: "gone" }, lookup },
  ]));
  assert.equal(result.updated, 1);
  const limits = { documentsRead: 1, documentsWritten: 50, bytesRead: 1 << 20, bytesWritten: 1 << 20 };
  const data = await rejects(b.mutation("applyMigration", { ...migration("003", [
    { index: 0, type: "delete", table: "users", filter: { email: "a@x.com" }, lookup },
  ]), limits }), "TOO_LARGE");
  assert.match(String(data.message), /index "by_email" is declared by the migrations but not deployed/);

  // An index range with more matches than one mutation may read: narrowing the filter is the way, not batching.
  const indexed = backend(true, defineSchema({
    ...migrationTables,
    users: defineTable({ email: v.string(), role: v.optional(v.string()) }).index("by_role", ["role"]),
  }));
  await withLock(indexed);
  await indexed.t.run(async (ctx) => {
    for (let n = 0; n < 60; n++) {
      await ctx.db.insert("users" as never, { email: `u${n}@x.com`, role: "member" } as never);
    }
  });
  const many = await rejects(indexed.mutation("applyMigration", { ...migration("004", [
    { index: 0, type: "update", table: "users", filter: { role: "member" }, data: { role: "m" },
      lookup: { index: "by_role", fields: ["role"] } },
  ]), limits: { ...limits, documentsRead: 50 } }), "TOO_LARGE");
  assert.match(String(many.message), /the documents index "by_role" finds for its filter are more than one mutation may read: narrow the filter/);

  // Deployed with other fields than the migrations declare: scanned, and said so.
  const other = await rejects(indexed.mutation("applyMigration", { ...migration("005", [
    { index: 0, type: "update", table: "users", filter: { email: "u1@x.com" }, data: { role: "m" },
      lookup: { index: "by_role", fields: ["email"] } },
  ]), limits: { ...limits, documentsRead: 50 } }), "TOO_LARGE");
  assert.match(String(other.message), /index "by_role" is deployed with other fields than the migrations declare/);
  assert.equal((await b.docs("users")).length, 2);
});

test("Convex's own transaction limits hold as well (16,000 writes)", async () => {
  const b = backend();
  await withLock(b);
  const ops: Args[] = [];
  for (let i = 0; i < 16_500; i++) {
    ops.push({ index: i, type: "insert", table: "items", data: { n: i } });
  }
  const huge = { documentsRead: 1e9, documentsWritten: 1e9, bytesRead: 1e12, bytesWritten: 1e12 };
  await assert.rejects(b.mutation("applyMigration", { ...migration("008", ops), limits: huge }));
  assert.equal((await b.docs("items")).length, 0);
});

test("batched execution records progress, so a rerun resumes where it stopped", async () => {
  const b = backend();
  await withLock(b);
  const chunk = (from: number, n: number, isLast: boolean): Args => {
    const ops: Args[] = [];
    for (let i = from; i < from + n; i++) {
      ops.push({ index: i, type: "insert", table: "items", data: { n: i } });
    }
    return { ...migration("009", ops), fromIndex: from, isLast };
  };
  assert.equal((await b.mutation("applyBatch", chunk(0, 10, false))).status, "in_progress");
  // The runner "crashed" here. A rerun starts again at 0 and is told where to continue.
  const resync = await b.mutation("applyBatch", chunk(0, 10, false));
  assert.deepEqual([resync.status, resync.nextIndex], ["resync", 10]);
  assert.equal((await b.mutation("applyBatch", chunk(10, 10, true))).status, "applied");
  assert.equal((await b.docs("items")).length, 20);
  assert.deepEqual(await b.docs("migration_progress"), []);
  assert.equal((await b.mutation("applyBatch", chunk(10, 10, true))).status, "already_applied");

  // A large rollback runs in steps and ends with nothing of the version left.
  const small = { documentsRead: 1000, documentsWritten: 8, bytesRead: 1 << 20, bytesWritten: 1 << 20 };
  let steps = 0;
  for (let status = "in_progress"; status !== "rolled_back"; steps++) {
    status = (await b.mutation("rollbackMigration", { version: "009", owner: "runner-a", limits: small })).status;
    assert.ok(steps < 50, "rollback makes progress");
  }
  assert.equal((await b.docs("items")).length, 0);
  assert.deepEqual(await b.docs("migrations"), []);
});

test("a partly applied batched migration is listed with its progress; a rollback undoes exactly its batches", async () => {
  const b = backend();
  await withLock(b);
  await b.mutation("applyMigration", migration("001", seedUsers));
  const chunk = (from: number, n: number, isLast: boolean): Args => {
    const ops: Args[] = [];
    for (let i = from; i < from + n; i++) {
      ops.push({ index: i, type: "insert", table: "users", data: { name: "u" + i, email: `u${i}@x.com` } });
    }
    return { ...migration("010", ops), fromIndex: from, isLast, totalOps: 30, totalBatches: 3 };
  };
  await b.mutation("applyBatch", chunk(0, 10, false));
  await b.mutation("applyBatch", chunk(10, 10, false));
  // Killed here: two of three batches are in the table and the history shows them.
  const listed = await b.query("listApplied");
  assert.deepEqual(listed.applied.map((r: any) => r.version), ["001"]);
  assert.deepEqual(listed.batchesInProgress.map((p: any) => [p.version, p.name, p.batches, p.total_batches,
    p.next_index, p.total_ops, p.rolling_back]), [["010", "m010", 2, 3, 20, 30, false]]);
  assert.equal((await b.docs("users")).length, 22);

  // A rollback that stops after its first step marks the version; continuing the apply is then refused.
  const small = { documentsRead: 1000, documentsWritten: 4, bytesRead: 1 << 20, bytesWritten: 1 << 20 };
  assert.equal((await b.mutation("rollbackMigration", { version: "010", owner: "runner-a", limits: small })).status,
    "in_progress");
  assert.equal((await b.query("listApplied")).batchesInProgress[0].rolling_back, true);
  await rejects(b.mutation("applyBatch", chunk(20, 10, true)), "ROLLING_BACK");
  await rejects(b.mutation("applyMigration", migration("010", [])), "ROLLING_BACK");
  for (let steps = 0, status = "in_progress"; status !== "rolled_back"; steps++) {
    status = (await b.mutation("rollbackMigration", { version: "010", owner: "runner-a", limits: small })).status;
    assert.ok(steps < 50, "rollback makes progress");
  }
  assert.deepEqual((await b.docs("users")).map((u) => u.email).sort(), ["a@x.com", "l@x.com"]);
  assert.deepEqual(await b.docs("migration_progress"), []);
  assert.deepEqual((await b.docs("migration_inverse")).filter((c) => c.version === "010"), []);
});

test("an applied version whose rollback stopped part way is not re-applied as 'already applied'", async () => {
  const b = backend();
  await withLock(b);
  const ops: Args[] = [];
  for (let i = 0; i < 12; i++) {
    ops.push({ index: i, type: "insert", table: "users", data: { name: "u" + i, email: `u${i}@x.com` } });
  }
  await b.mutation("applyMigration", migration("011", ops));
  const small = { documentsRead: 1000, documentsWritten: 4, bytesRead: 1 << 20, bytesWritten: 1 << 20 };
  await b.mutation("rollbackMigration", { version: "011", owner: "runner-a", limits: small });
  assert.equal((await b.query("listApplied")).applied[0].state, "rolling_back");
  await rejects(b.mutation("applyMigration", migration("011", ops)), "ROLLING_BACK");
  assert.ok((await b.docs("users")).length < 12, "part of it is undone");
});

test("baseline records without running; repair replaces the checksum", async () => {
  const b = backend();
  await withLock(b);
  assert.equal((await b.mutation("recordMigration", {
    version: "001", name: "m001", checksum: "old", owner: "runner-a", runId: "r", appliedBy: "t",
  })).recorded, true);
  assert.deepEqual(await b.docs("users"), []);
  assert.equal((await b.mutation("updateChecksum", { version: "001", checksum: "new", owner: "runner-a" })).updated, true);
  assert.equal((await b.query("listApplied")).applied[0].checksum, "new");
});

test("rolling back thousands of documents stays inside Convex's 4,096 index reads per mutation", async () => {
  const b = backend();
  await withLock(b);
  const total = 6000;
  for (let from = 0; from < total; from += 500) {
    const ops: Args[] = [];
    for (let i = from; i < from + 500; i++) {
      ops.push({ index: i, type: "insert", table: "items", data: { n: i } });
    }
    await b.mutation("applyBatch", { ...migration("010", ops), fromIndex: from, isLast: from + 500 === total });
  }
  assert.equal((await b.docs("items")).length, total);
  let steps = 0;
  for (let status = "in_progress"; status !== "rolled_back"; steps++) {
    status = (await b.mutation("rollbackMigration", { version: "010", owner: "runner-a" })).status;
    assert.ok(steps < 100);
  }
  assert.equal((await b.docs("items")).length, 0);
  assert.ok(steps >= 1);
});

test("a synced document a rollback re-inserts keeps its sync identity: the next sync updates it, not a second one", async () => {
  const b = backend();
  const sync = (args: Args) => (b.t as unknown as Record<"mutation", (ref: unknown, a: Args) => Promise<any>>)
    .mutation(makeFunctionReference("migrations/sync:upsertBatch"), args);
  await withLock(b);
  assert.deepEqual(await sync({ table: "notes", target: "notes", rows: [{ key: '["2"]', hash: "h1", doc: { title: "b" } }] }),
    { inserted: 1, updated: 0, unchanged: 0 });
  await b.mutation("applyMigration", migration("004", [
    { index: 0, type: "delete", table: "notes", filter: { title: "b" } },
  ]));
  assert.equal((await b.mutation("rollbackMigration", { version: "004", owner: "runner-a" })).status, "rolled_back");
  const restored = await b.docs("notes");
  assert.equal(restored.length, 1);
  assert.equal((await b.docs("sync_ids"))[0].doc_id, restored[0]._id, "sync_ids follows the re-inserted document");
  assert.deepEqual(await sync({ table: "notes", target: "notes", rows: [{ key: '["2"]', hash: "h2", doc: { title: "b2" } }] }),
    { inserted: 0, updated: 1, unchanged: 0 });
  assert.deepEqual(strip(await b.docs("notes")), [{ title: "b2" }]);
});

test("a rollback counts the documents it reads, so a version of large documents rolls back in steps within the limits", async () => {
  const b = backend();
  await withLock(b);
  const big = Array.from({ length: 20 }, (_, i) => ({ index: i, type: "insert", table: "notes", data: { n: i, body: "y".repeat(10_000) } }));
  assert.equal((await b.mutation("applyMigration", migration("001", big))).status, "applied");
  // Reads of 100 KB a step: each step may read about half of that, five of the 10 KB documents.
  const limits = { documentsRead: 32_000, documentsWritten: 16_000, bytesRead: 100_000, bytesWritten: 16_000_000 };
  let steps = 0;
  for (let status = "in_progress"; status === "in_progress"; steps++) {
    status = (await b.mutation("rollbackMigration", { version: "001", owner: "runner-a", limits })).status;
  }
  assert.ok(steps >= 4, `rolled back in ${steps} step(s)`);
  assert.deepEqual(await b.docs("notes"), []);
});
