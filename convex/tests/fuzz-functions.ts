// Functions for the differential check (check.ts): they interpret random operation lists, so that the same list can be
// run against an indexed and an unindexed convex-test backend and every observable answer compared.
import { defineSchema, defineTable, makeFunctionReference, mutationGeneric, queryGeneric } from "convex/server";
import { v } from "convex/values";

export const fuzzSchema = defineSchema({
  items: defineTable({
    a: v.optional(v.any()),
    b: v.optional(v.any()),
    n: v.optional(v.any()),
    tag: v.optional(v.string()),
  })
    .index("by_a", ["a"])
    .index("by_a_b", ["a", "b"])
    .index("by_n_x", ["n.x"])
    .index("by_tag_a", ["tag", "a"]),
  others: defineTable({ a: v.optional(v.any()) }).index("by_a", ["a"]),
});

const UNDEF = "__undefined__";
const COMMIT_TS = "__commitTs__";
// Args cannot carry `undefined` or a pending commit timestamp; the driver sends these markers instead. The commit
// timestamp placeholder only exists in mutations (ctx.db.vars.commitTs); queries get the int64 maximum it sorts as.
let commitTs: unknown = 2n ** 63n - 1n;
const val = (x: any) => (x === UNDEF ? undefined : x === COMMIT_TS ? commitTs : x);
const obj = (o: Record<string, any>) => Object.fromEntries(Object.entries(o).map(([k, x]) => [k, val(x)]));

type Spec = {
  table: string;
  index: string | null; // null: full table scan
  eq: any[]; // values for the first fields
  eqFields: string[];
  lower?: { op: "gt" | "gte"; field: string; v: any };
  upper?: { op: "lt" | "lte"; field: string; v: any };
  order?: "asc" | "desc";
  filter?: { op: "eq" | "gt" | "neq"; field: string; v: any };
  terminal: "collect" | "first" | "unique" | "take" | "count" | "iterate";
  k?: number;
};

function build(db: any, spec: Spec) {
  let q = db.query(spec.table);
  if (spec.index !== null) {
    q = q.withIndex(spec.index, (r: any) => {
      spec.eqFields.forEach((f, i) => {
        r = r.eq(f, val(spec.eq[i]));
      });
      if (spec.lower) {
        r = r[spec.lower.op](spec.lower.field, val(spec.lower.v));
      }
      if (spec.upper) {
        r = r[spec.upper.op](spec.upper.field, val(spec.upper.v));
      }
      return r;
    });
  }
  if (spec.order) {
    q = q.order(spec.order);
  }
  if (spec.filter) {
    const { op, field, v: x } = spec.filter;
    q = q.filter((f: any) => f[op](f.field(field), val(x)));
  }
  return q;
}

async function runQuery(db: any, spec: Spec): Promise<any> {
  try {
    if (spec.terminal === "count") {
      return { ok: await db.query(spec.table).count() };
    }
    const q = build(db, spec);
    switch (spec.terminal) {
      case "collect":
        return { ok: await q.collect() };
      case "first":
        return { ok: await q.first() };
      case "unique":
        return { ok: await q.unique() };
      case "take":
        return { ok: await q.take(spec.k ?? 3) };
      case "iterate": {
        // Async iteration, stopping early, with a write in between (a started query must not see it).
        const out = [];
        for await (const d of q) {
          out.push(d);
          if (out.length === 1 && spec.k !== undefined) {
            await db.insert("items", { a: "inserted-during-iteration", tag: "z" });
          }
          if (out.length >= (spec.k ?? 5)) {
            break;
          }
        }
        return { ok: out };
      }
    }
  } catch (e) {
    return { err: (e as Error).message };
  }
}

const applyRef = makeFunctionReference<"mutation">("fuzz:apply");
const queryRef = makeFunctionReference<"query">("fuzz:query");
const pageRef = makeFunctionReference<"query">("fuzz:page");

export const apply = mutationGeneric({
  args: { ops: v.array(v.any()), fail: v.optional(v.boolean()) },
  handler: async (ctx, { ops, fail }) => {
    const db = ctx.db as any;
    commitTs = db.vars?.commitTs ?? commitTs;
    const log: any[] = [];
    const pick = async (table: string, ref: number) => {
      const all = await db.query(table).collect();
      return all.length === 0 ? null : all[ref % all.length]._id;
    };
    for (const op of ops as any[]) {
      try {
        switch (op.op) {
          case "insert":
            log.push(await db.insert(op.table, obj(op.doc)));
            break;
          case "patch": {
            const id = await pick(op.table, op.ref);
            if (id !== null) {
              await db.patch(id, obj(op.fields));
            }
            log.push(id);
            break;
          }
          case "replace": {
            const id = await pick(op.table, op.ref);
            if (id !== null) {
              await db.replace(id, obj(op.doc));
            }
            log.push(id);
            break;
          }
          case "delete": {
            const id = await pick(op.table, op.ref);
            if (id !== null) {
              await db.delete(id);
            }
            log.push(id);
            break;
          }
          case "get": {
            const id = await pick(op.table, op.ref);
            log.push(id === null ? null : await db.get(id));
            break;
          }
          case "query":
            log.push(await runQuery(db, op.spec));
            break;
          case "runQuery":
            log.push(await ctx.runQuery(queryRef, { spec: op.spec }, op.stale ? { useStaleSnapshot: true } as any : undefined));
            break;
          case "page":
            log.push(await ctx.runQuery(pageRef, op.args));
            break;
          case "nested":
            log.push(await ctx.runMutation(applyRef, { ops: op.ops, fail: op.fail }));
            break;
        }
      } catch (e) {
        log.push({ err: (e as Error).message });
      }
    }
    if (fail) {
      throw new Error(`rolled back on purpose after ${log.length} operations`);
    }
    return log;
  },
});

export const query = queryGeneric({
  args: { spec: v.any() },
  handler: async (ctx, { spec }) => await runQuery(ctx.db, spec),
});

export const page = queryGeneric({
  args: { spec: v.any(), cursor: v.union(v.string(), v.null()), numItems: v.number(),
    endCursor: v.optional(v.string()), maximumRowsRead: v.optional(v.number()) },
  handler: async (ctx, { spec, cursor, numItems, endCursor, maximumRowsRead }) => {
    try {
      return { ok: await build(ctx.db, spec).paginate({ cursor, numItems, endCursor, maximumRowsRead }) };
    } catch (e) {
      return { err: (e as Error).message };
    }
  },
});
