// server/indexed-db.ts against convex-test itself: the same random operations against a backend with and without the
// indexes; every answer (documents, order, errors, pagination cursors and statuses) must be identical. More seeds:
// SEEDS=40 ROUNDS=150 npm test.
import assert from "node:assert/strict";
import { test } from "node:test";
import { convexTest } from "convex-test";
import { makeFunctionReference } from "convex/server";
import { convexToJson, type Value } from "convex/values";
import { configureIndexes, indexStats, installIndexes } from "../server/indexed-db";
import { fuzzSchema } from "./fuzz-functions";

const opts = { seeds: process.env.SEEDS ?? "8", seed: process.env.SEED ?? "1", rounds: process.env.ROUNDS ?? "100",
  verbose: false };

// Deterministic clock (set while the test runs): both backends then assign identical _creationTime values and cursors.
const BASE = 1_700_000_000_000;

const UNDEF = "__undefined__";
const bytes = (...b: number[]) => new Uint8Array(b).buffer;
const POOL: Value[] = [
  UNDEF, null, 0n, -5n, 2n ** 62n, 0, -0, 1, -1.5, 2, 2.5, NaN, Infinity, -Infinity, true, false,
  "", "a", "b", "ab", "B", "é", "\uE000", "😀", "\uFFFF", "a\u0000", bytes(), bytes(1), bytes(1, 2), bytes(255),
  [], [1], [1, "a"], ["a"], [[]], {}, { x: 1 }, { x: "a", y: null }, "__commitTs__", 2n ** 63n - 1n,
];

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIELDS: Record<string, string[]> = {
  by_a: ["a"], by_a_b: ["a", "b"], by_n_x: ["n.x"], by_tag_a: ["tag", "a"],
  by_creation_time: [], by_id: [], by_missing: ["a"],
};

function gen(seed: number) {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  const one = <T>(xs: T[]): T => xs[int(xs.length)];
  const value = (): Value => (r() < 0.15 ? one([0, 1, 2, 3]) : r() < 0.1 ? one(["a", "b", "c"]) : one(POOL));
  const ctime = () => BASE + int(60) * 0.001 + one([0, 0, 0.0004, -0.0004]);
  const doc = (table: string): Record<string, Value> => {
    const d: Record<string, Value> = {};
    if (r() < 0.9) d.a = value();
    if (table === "items") {
      if (r() < 0.7) d.b = r() < 0.7 ? int(4) : value();
      if (r() < 0.6) d.n = r() < 0.8 ? { x: value() } : one([[1], "s", null, { y: 1 }]);
      if (r() < 0.8) d.tag = one(["x", "y", "z", UNDEF]);
    }
    return d;
  };
  const spec = (): Record<string, unknown> => {
    const table = r() < 0.85 ? "items" : "others";
    const index = r() < 0.15 ? null
      : table === "others" ? one(["by_a", "by_a", "by_creation_time", "by_id"])
      : one(["by_a", "by_a_b", "by_a_b", "by_n_x", "by_tag_a", "by_tag_a", "by_creation_time", "by_id", "by_a", r() < 0.1 ? "by_missing" : "by_a"]);
    const s: Record<string, any> = { table, index, eq: [], eqFields: [] };
    if (index !== null) {
      const full = index === "by_id" ? ["_id"] : [...FIELDS[index], "_creationTime", "_id"];
      const fieldValue = (f: string) => (f === "_creationTime" ? ctime() : f === "_id" ? "10005items" : f === "tag" ? one(["x", "y", "z", UNDEF]) : value());
      let eqCount = int(FIELDS[index].length + 1);
      if (r() < 0.05) eqCount = Math.min(full.length, eqCount + 1);
      for (let i = 0; i < eqCount; i++) {
        s.eqFields.push(full[i]);
        s.eq.push(fieldValue(full[i]));
      }
      if (r() < 0.05 && s.eqFields.length > 0) {
        s.eqFields[0] = one(["b", "_id", "a", "n.x"]); // misuse: convex-test must report it the same way
      }
      const rangeField = r() < 0.04 ? one(["b", "a", "_id"]) : full[eqCount];
      if (rangeField !== undefined) {
        if (r() < 0.5) s.lower = { op: one(["gt", "gte"]), field: rangeField, v: fieldValue(rangeField) };
        if (r() < 0.5) s.upper = { op: one(["lt", "lte"]), field: rangeField, v: fieldValue(rangeField) };
      }
    }
    if (r() < 0.6) s.order = one(["asc", "desc"]);
    if (r() < 0.25) {
      s.filter = one([
        { op: "eq", field: "tag", v: one(["x", "y", UNDEF]) },
        { op: "gt", field: "b", v: int(3) },
        { op: "neq", field: "a", v: value() },
      ]);
    }
    s.terminal = one(["collect", "collect", "first", "unique", "take", "take", "iterate", "count"]);
    s.k = int(6);
    return s;
  };
  const writeOp = (): Record<string, unknown> => {
    const table = r() < 0.85 ? "items" : "others";
    const kind = one(["insert", "insert", "insert", "patch", "patch", "replace", "delete", "get"]);
    if (kind === "insert") return { op: "insert", table, doc: doc(table) };
    if (kind === "replace") return { op: "replace", table, ref: int(1000), doc: doc(table) };
    if (kind === "patch") {
      const fields: Record<string, Value> = {};
      for (const [k, x] of Object.entries(doc(table))) if (r() < 0.6) fields[k] = x;
      if (r() < 0.2) fields.a = UNDEF; // removes the field
      return { op: "patch", table, ref: int(1000), fields };
    }
    return { op: kind, table, ref: int(1000) };
  };
  const ops = (depth: number): Record<string, unknown>[] => {
    const out: Record<string, unknown>[] = [];
    const n = 1 + int(12);
    for (let i = 0; i < n; i++) {
      const x = r();
      if (x < 0.5) out.push(writeOp());
      else if (x < 0.8) out.push({ op: "query", spec: spec() });
      else if (x < 0.88) out.push({ op: "runQuery", spec: spec(), stale: r() < 0.5 });
      else if (x < 0.93 && depth < 2) out.push({ op: "nested", ops: ops(depth + 1), fail: r() < 0.4 });
      else out.push({ op: "page", args: { spec: spec(), cursor: null, numItems: int(6) } });
    }
    return out;
  };
  return { r, int, spec, ops };
}

const stable = (x: unknown) => JSON.stringify(convexToJson(x as Value));
// What kinds of answers were compared (so a run that only compares errors or empty results is noticed).
const kinds = { errors: 0, emptyResults: 0, nonEmptyResults: 0, pages: 0, multiPageWalks: 0 };
const errorKinds = new Map<string, number>();
function tally(answer: string) {
  const text = answer;
  for (const m of text.matchAll(/"err":"((?:[^"\\]|\\.){0,60})/g)) {
    const key = m[1].replace(/[0-9]+/g, "N");
    errorKinds.set(key, (errorKinds.get(key) ?? 0) + 1);
    kinds.errors++;
  }
  kinds.emptyResults += (text.match(/"ok":\[\]/g) ?? []).length;
  kinds.nonEmptyResults += (text.match(/"ok":\[\{/g) ?? []).length;
  kinds.pages += (text.match(/"continueCursor":/g) ?? []).length;
}

type Backend = { mutation: (name: string, args: Record<string, unknown>) => Promise<unknown>; query: (name: string, args: Record<string, unknown>) => Promise<unknown> };
function backend(indexed: boolean): Backend & { t: ReturnType<typeof convexTest> } {
  const modules = { "./_generated/api.js": async () => ({}), "./fuzz.ts": () => import("./fuzz-functions") };
  const t = convexTest({ schema: fuzzSchema, modules, transactionLimits: true });
  if (indexed) {
    installIndexes(t);
  }
  const call = t as unknown as Record<"query" | "mutation", (ref: unknown, args: unknown) => Promise<unknown>>;
  const wrap = (kind: "query" | "mutation") => async (name: string, args: Record<string, unknown>) => {
    try {
      return { ok: await call[kind](makeFunctionReference(`fuzz:${name}`), args) };
    } catch (e) {
      return { err: (e as Error).message };
    }
  };
  return { t, mutation: wrap("mutation"), query: wrap("query") };
}

async function runSeed(seed: number, rounds: number) {
  const g = gen(seed);
  // Odd seeds: tiny chunks and prefixes, so chunk splits/merges and prefix re-runs happen on small data too.
  configureIndexes(seed % 2 === 1 ? { maxChunk: 4, minFill: 1 } : { maxChunk: 512, minFill: 64 });
  const A = backend(true);
  const B = backend(false);
  let compared = 0;
  const same = async (what: string, f: (b: Backend) => Promise<unknown>) => {
    const a = stable(await f(A));
    const b = stable(await f(B));
    compared++;
    tally(a);
    if (a !== b) {
      throw new Error(`seed ${seed}: ${what} differs\n indexed: ${a.slice(0, 3000)}\n plain:   ${b.slice(0, 3000)}`);
    }
    return JSON.parse(a);
  };
  for (let round = 0; round < rounds; round++) {
    const x = g.r();
    if (x < 0.55) {
      const ops = g.ops(0);
      const fail = g.r() < 0.15;
      await same(`round ${round} mutation ${stable(ops).slice(0, 500)}`, (b) => b.mutation("apply", { ops, fail }));
    } else if (x < 0.8) {
      const spec = g.spec();
      await same(`round ${round} query ${stable(spec)}`, (b) => b.query("query", { spec }));
    } else {
      // Walk a paginated query to its end, checking every page, and sometimes re-read a page with its end cursor.
      const spec = g.spec();
      let cursor: string | null = null;
      for (let p = 0; p < 60; p++) {
        const args: Record<string, unknown> = { spec, cursor, numItems: g.int(7) };
        if (g.r() < 0.2) args.maximumRowsRead = 1 + g.int(5);
        const res = await same(`round ${round} page ${p} ${stable(args)}`, (b) => b.query("page", args));
        const ok = (res as { ok?: { ok?: { continueCursor: unknown; isDone: boolean } } }).ok?.ok;
        if (ok === undefined || ok.isDone) {
          break;
        }
        if (g.r() < 0.3) {
          const again = { ...args, endCursor: ok.continueCursor };
          await same(`round ${round} page ${p} again ${stable(again)}`, (b) => b.query("page", again));
        }
        if (g.r() < 0.1) {
          const end = { ...args, cursor: "_end_cursor" };
          await same(`round ${round} end page`, (b) => b.query("page", end));
        }
        if (p === 1) kinds.multiPageWalks++;
        cursor = (ok.continueCursor as { $string?: string } | string) as string;
      }
    }
  }
  for (const table of ["items", "others"]) {
    const spec = { table, index: null, eq: [], eqFields: [], terminal: "collect" };
    await same(`final ${table}`, (b) => b.query("query", { spec }));
  }
  const stats = indexStats(A.t)!;
  assert.equal(stats.staleVersions, 0, "pending versions left after all transactions ended");
  const counts = (await B.query("query", { spec: { table: "items", terminal: "count" } }) as { ok: { ok: number } }).ok.ok;
  for (const [name, size] of Object.entries(stats.tables.items ?? {})) {
    assert.equal(size, counts, `index items.${name} holds ${size} entries for ${counts} documents`);
  }
  return { compared, stats };
}

test("indexed queries answer exactly as convex-test's own scans, over random operations", async () => {
  const realNow = Date.now;
  Date.now = () => BASE;
  try {
    const first = Number(opts.seed);
    let total = 0;
    for (let seed = first; seed < first + Number(opts.seeds); seed++) {
      total += (await runSeed(seed, Number(opts.rounds))).compared;
    }
    assert.ok(total > 1000, `compared ${total} answers`);
    assert.ok(kinds.nonEmptyResults > 100 && kinds.errors > 0 && kinds.multiPageWalks > 0, JSON.stringify(kinds));
  } finally {
    Date.now = realNow;
    configureIndexes({ maxChunk: 512, minFill: 64 });
  }
});

test("an index deployed while the table has documents answers as a scan does, and can be lengthened", async () => {
  const { default: frameworkSchema } = await import("../schema");
  const { deployIndex } = await import("../server/indexed-db");
  const t = convexTest({ schema: frameworkSchema, modules: { "./_generated/api.js": async () => ({}) },
    transactionLimits: true });
  const root = installIndexes(t);
  await t.run(async (ctx) => {
    for (let n = 0; n < 500; n++) {
      await ctx.db.insert("people" as never, { email: `p${n % 50}`, n } as never);
    }
  });
  assert.equal(deployIndex(root, "people", "by_email", ["email"]), true);
  assert.equal(deployIndex(root, "people", "by_email", ["email"]), false, "already there");
  await t.run(async (ctx) => {
    await ctx.db.insert("people" as never, { email: "p7", n: 1000 } as never);
  });
  const byIndex = await t.run(async (ctx) => (await (ctx.db.query("people" as never) as any)
    .withIndex("by_email", (q: any) => q.eq("email", "p7")).collect()).map((d: any) => d.n));
  assert.deepEqual(byIndex, [7, 57, 107, 157, 207, 257, 307, 357, 407, 457, 1000]);
  assert.equal(indexStats(t)?.tables.people.by_email, 501);

  assert.equal(deployIndex(root, "people", "by_email", ["email", "n"]), true, "lengthened");
  assert.equal(deployIndex(root, "people", "by_email", ["n"]), false, "another index's fields are not taken");
  const narrowed = await t.run(async (ctx) => (await (ctx.db.query("people" as never) as any)
    .withIndex("by_email", (q: any) => q.eq("email", "p7").eq("n", 57)).collect()).map((d: any) => d.n));
  assert.deepEqual(narrowed, [57]);
});
