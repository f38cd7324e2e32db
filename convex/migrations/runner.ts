// The migration functions. All are internal: callable with the deployment's deploy/admin key and by nobody else.
// Each call is one Convex mutation (or query), so each apply, rollback step and lock change is atomic.
import {
  defineSchema, internalMutationGeneric, internalQueryGeneric,
  type DataModelFromSchemaDefinition, type GenericDatabaseWriter, type MutationBuilder, type QueryBuilder,
} from "convex/server";
import { ConvexError, v, type Value } from "convex/values";
import {
  Budget, DEFAULT_LIMITS, IdRemap, InverseRecorder, runOps, undo,
  type DataOp, type Db as AppDb, type InverseEntry, type Limits, type OpCounts,
} from "./ops";
import { migrationTables } from "./schema";

// Typed builders for the framework's own tables, as a Convex app's _generated/server.ts would provide.
const frameworkSchema = defineSchema(migrationTables);
type DataModel = DataModelFromSchemaDefinition<typeof frameworkSchema>;
type Db = GenericDatabaseWriter<DataModel>;
const internalMutation: MutationBuilder<DataModel, "internal"> = internalMutationGeneric;
const internalQuery: QueryBuilder<DataModel, "internal"> = internalQueryGeneric;

/** The same database, seen untyped, for data ops on the app's tables. */
function appDb(db: Db): AppDb {
  return db as unknown as AppDb;
}

const LOCK_NAME = "migrations";

const opValidator = v.object({
  index: v.number(),
  type: v.union(v.literal("insert"), v.literal("update"), v.literal("delete")),
  table: v.string(),
  data: v.optional(v.any()),
  filter: v.optional(v.any()),
  lookup: v.optional(v.object({ index: v.string(), fields: v.array(v.string()) })),
});

const limitsValidator = v.optional(v.object({
  documentsRead: v.number(),
  documentsWritten: v.number(),
  bytesRead: v.number(),
  bytesWritten: v.number(),
}));

const migrationValidator = {
  version: v.string(),
  name: v.string(),
  description: v.optional(v.string()),
  checksum: v.string(),
  ops: v.array(opValidator),
};

async function historyRow(db: Db, version: string) {
  return await db.query("migrations").withIndex("by_version", (q) => q.eq("version", version)).unique();
}

async function progressRow(db: Db, version: string) {
  return await db.query("migration_progress").withIndex("by_version", (q) => q.eq("version", version)).unique();
}

/** Fencing: a runner whose lease expired or was taken over must not write. */
async function requireLease(db: Db, owner: string) {
  const lock = await db.query("migration_locks").withIndex("by_name", (q) => q.eq("name", LOCK_NAME)).unique();
  if (lock === null || lock.owner !== owner || lock.expires_at <= Date.now()) {
    throw new ConvexError({
      code: "LOCK_LOST",
      message: "this runner no longer holds the migration lock (its lease expired or another run took it over)",
    });
  }
}

function checksumMismatch(version: string, recorded: string, sent: string): never {
  throw new ConvexError({
    code: "CHECKSUM_MISMATCH",
    version,
    recorded,
    sent,
    message: `version ${version} is already applied to Convex with checksum ${recorded.slice(0, 12)}, ` +
      `but the file now has ${sent.slice(0, 12)}`,
  });
}

/** A version whose rollback started must be rolled back to the end before anything else is done with it. */
function refuseIfRollingBack(version: string, rollingBack: boolean) {
  if (rollingBack) {
    throw new ConvexError({
      code: "ROLLING_BACK",
      version,
      message: `version ${version} is being rolled back (a rollback stopped part way); finish the rollback first`,
    });
  }
}

type MigrationArgs = { version: string; name: string; description?: string; checksum: string; ops: DataOp[] };

/** Applies one whole migration and records it; returns what it did. Shared by apply and dry run. */
async function applyOne(db: Db, m: MigrationArgs, runId: string, appliedBy: string, limits: Limits)
    : Promise<OpCounts & { status: string }> {
  const existing = await historyRow(db, m.version);
  if (existing !== null) {
    refuseIfRollingBack(m.version, existing.state === "rolling_back");
    if (existing.checksum !== m.checksum) {
      checksumMismatch(m.version, existing.checksum, m.checksum);
    }
    return { status: "already_applied", inserted: 0, updated: 0, deleted: 0 };
  }
  const progress = await progressRow(db, m.version);
  if (progress !== null) {
    refuseIfRollingBack(m.version, progress.rolling_back === true);
    throw new ConvexError({
      code: "BATCH_IN_PROGRESS",
      version: m.version,
      message: `version ${m.version} is partly applied by a batched run; rerun it with "batched": true to finish`,
    });
  }
  const budget = new Budget(limits, m.version);
  const inverse = new InverseRecorder(appDb(db), m.version, 0, budget);
  const counts = await runOps(appDb(db), m.version, m.ops, budget, inverse);
  await inverse.flush();
  await db.insert("migrations", {
    version: m.version, name: m.name, description: m.description, checksum: m.checksum,
    applied_at: Date.now(), run_id: runId, applied_by: appliedBy, state: "applied",
  });
  return { status: "applied", ...counts };
}

/** Undoes up to a budget's worth of a version's inverse, newest first; finishes by deleting its history row. */
async function rollbackSome(db: Db, version: string, limits: Limits, untilDone: boolean) {
  const history = await historyRow(db, version);
  const progress = await progressRow(db, version);
  if (history === null && progress === null) {
    return { status: "not_applied", undone: 0 };
  }
  if (history !== null && history.state !== "rolling_back") {
    await db.patch(history._id, { state: "rolling_back" });
  }
  if (progress !== null && progress.rolling_back !== true) {
    await db.patch(progress._id, { rolling_back: true }); // its undone batches can no longer be continued
  }
  const budget = new Budget(limits, version);
  const remap = await IdRemap.open(appDb(db), version, budget);
  let undone = 0;
  for (;;) {
    budget.indexRange(-1);
    const chunk = await db.query("migration_inverse")
      .withIndex("by_version_seq", (q) => q.eq("version", version)).order("desc").first();
    if (chunk === null) {
      break;
    }
    const entries = [...(chunk.entries as unknown as InverseEntry[])];
    while (entries.length > 0) {
      if (!untilDone && undone > 0 && budget.used() >= 0.5) {
        // Stop well inside the limits; keep what is left of this chunk for the next step.
        await db.patch(chunk._id, { entries: entries as unknown as Value[] });
        return { status: "in_progress", undone };
      }
      const entry = entries.pop()!;
      budget.count(entry as unknown as Value);
      await undo(appDb(db), remap, entry, budget);
      undone++;
    }
    await db.delete(chunk._id);
  }
  // The id remap outlives this version while an older one is applied, whose entries may name the ids it moved.
  budget.indexRange(-1);
  const olderApplied = (await db.query("migrations").filter((q) => q.neq(q.field("version"), version)).first()) !== null
    || (await db.query("migration_progress").filter((q) => q.neq(q.field("version"), version)).first()) !== null;
  while (!olderApplied) {
    if (!untilDone && budget.used() >= 0.5) {
      return { status: "in_progress", undone };
    }
    budget.indexRange(-1);
    const leftovers = await db.query("migration_id_remap").take(256);
    if (leftovers.length === 0) {
      break;
    }
    for (const leftover of leftovers) {
      budget.count(undefined);
      await db.delete(leftover._id);
    }
  }
  if (history !== null) {
    await db.delete(history._id);
  }
  if (progress !== null) {
    await db.delete(progress._id);
  }
  return { status: "rolled_back", undone };
}

export const listApplied = internalQuery({
  args: {},
  handler: async (ctx) => {
    const rows = await ctx.db.query("migrations").collect();
    const inProgress = await ctx.db.query("migration_progress").collect();
    return {
      applied: rows.map((r) => ({
        version: r.version, name: r.name, checksum: r.checksum, applied_at: r.applied_at, run_id: r.run_id,
        applied_by: r.applied_by, state: r.state ?? "applied", baselined: r.baselined ?? false,
      })),
      batchesInProgress: inProgress.map((p) => ({
        version: p.version, name: p.name ?? "", checksum: p.checksum, next_index: p.next_index,
        batches: p.batches ?? 0, started_at: p.started_at, total_ops: p.total_ops ?? null,
        total_batches: p.total_batches ?? null, rolling_back: p.rolling_back ?? false, run_id: p.run_id ?? null,
      })),
    };
  },
});

/** Who holds the run lease now, if anyone: status tells a run still working from one that stopped part way. */
export const lockHolder = internalQuery({
  args: {},
  handler: async (ctx) => {
    const lock = await ctx.db.query("migration_locks").withIndex("by_name", (q) => q.eq("name", LOCK_NAME)).unique();
    if (lock === null || lock.expires_at <= Date.now()) {
      return null;
    }
    return { owner: lock.owner, acquiredAt: lock.acquired_at, expiresAt: lock.expires_at };
  },
});

export const acquireLock = internalMutation({
  args: { owner: v.string(), leaseMs: v.number() },
  handler: async (ctx, { owner, leaseMs }) => {
    const now = Date.now();
    const lock = await ctx.db.query("migration_locks").withIndex("by_name", (q) => q.eq("name", LOCK_NAME)).unique();
    if (lock === null) {
      await ctx.db.insert("migration_locks", { name: LOCK_NAME, owner, acquired_at: now, expires_at: now + leaseMs });
      return { acquired: true, expiredHolder: null };
    }
    if (lock.owner === owner || lock.expires_at <= now) {
      const expiredHolder = lock.owner === owner ? null : lock.owner;
      await ctx.db.patch(lock._id, {
        owner, expires_at: now + leaseMs, acquired_at: lock.owner === owner ? lock.acquired_at : now,
      });
      return { acquired: true, expiredHolder };
    }
    return { acquired: false, holder: lock.owner, acquiredAt: lock.acquired_at, expiresAt: lock.expires_at };
  },
});

export const renewLock = internalMutation({
  args: { owner: v.string(), leaseMs: v.number() },
  handler: async (ctx, { owner, leaseMs }) => {
    const lock = await ctx.db.query("migration_locks").withIndex("by_name", (q) => q.eq("name", LOCK_NAME)).unique();
    if (lock === null || lock.owner !== owner || lock.expires_at <= Date.now()) {
      return { renewed: false };
    }
    await ctx.db.patch(lock._id, { expires_at: Date.now() + leaseMs });
    return { renewed: true };
  },
});

export const releaseLock = internalMutation({
  args: { owner: v.string() },
  handler: async (ctx, { owner }) => {
    const lock = await ctx.db.query("migration_locks").withIndex("by_name", (q) => q.eq("name", LOCK_NAME)).unique();
    if (lock === null || lock.owner !== owner) {
      return { released: false };
    }
    await ctx.db.delete(lock._id);
    return { released: true };
  },
});

/**
 * Applies one migration's data ops atomically with its history row and recorded inverse. Applying a version already
 * recorded with the same checksum changes nothing and says so, so a retried HTTP call never applies twice.
 */
export const applyMigration = internalMutation({
  args: { ...migrationValidator, owner: v.string(), runId: v.string(), appliedBy: v.string(), limits: limitsValidator },
  handler: async (ctx, args) => {
    await requireLease(ctx.db, args.owner);
    return await applyOne(ctx.db, args as MigrationArgs, args.runId, args.appliedBy, args.limits ?? DEFAULT_LIMITS);
  },
});

/**
 * One chunk of a batched migration ("batched": true). Progress is recorded with the chunk, so a rerun resumes: when
 * the recorded position differs from fromIndex the call does nothing and answers {status: "resync", nextIndex}.
 */
export const applyBatch = internalMutation({
  args: {
    ...migrationValidator, fromIndex: v.number(), isLast: v.boolean(), owner: v.string(), runId: v.string(),
    appliedBy: v.string(), limits: limitsValidator, totalOps: v.optional(v.number()),
    totalBatches: v.optional(v.number()),
  },
  handler: async (ctx, args) => {
    await requireLease(ctx.db, args.owner);
    const existing = await historyRow(ctx.db, args.version);
    if (existing !== null) {
      refuseIfRollingBack(args.version, existing.state === "rolling_back");
      if (existing.checksum !== args.checksum) {
        checksumMismatch(args.version, existing.checksum, args.checksum);
      }
      return { status: "already_applied", nextIndex: args.fromIndex + args.ops.length, inserted: 0, updated: 0, deleted: 0 };
    }
    let progress = await progressRow(ctx.db, args.version);
    if (progress === null) {
      if (args.fromIndex !== 0) {
        return { status: "resync", nextIndex: 0, inserted: 0, updated: 0, deleted: 0 };
      }
      const id = await ctx.db.insert("migration_progress", {
        version: args.version, name: args.name, checksum: args.checksum, next_index: 0, next_seq: 0,
        started_at: Date.now(), batches: 0, total_ops: args.totalOps, total_batches: args.totalBatches,
        run_id: args.runId,
      });
      progress = (await ctx.db.get(id))!;
    } else if (progress.rolling_back === true) {
      refuseIfRollingBack(args.version, true);
    } else if (progress.checksum !== args.checksum) {
      checksumMismatch(args.version, progress.checksum, args.checksum);
    }
    if (progress.next_index !== args.fromIndex) {
      return { status: "resync", nextIndex: progress.next_index, inserted: 0, updated: 0, deleted: 0 };
    }
    const budget = new Budget(args.limits ?? DEFAULT_LIMITS, args.version);
    const inverse = new InverseRecorder(appDb(ctx.db), args.version, progress.next_seq, budget);
    const counts = await runOps(appDb(ctx.db), args.version, args.ops as DataOp[], budget, inverse);
    await inverse.flush();
    const nextIndex = args.fromIndex + args.ops.length;
    if (args.isLast) {
      await ctx.db.delete(progress._id);
      await ctx.db.insert("migrations", {
        version: args.version, name: args.name, description: args.description, checksum: args.checksum,
        applied_at: Date.now(), run_id: args.runId, applied_by: args.appliedBy, state: "applied",
      });
      return { status: "applied", nextIndex, ...counts };
    }
    await ctx.db.patch(progress._id, {
      next_index: nextIndex, next_seq: inverse.nextSeq, batches: (progress.batches ?? 0) + 1,
      total_ops: args.totalOps ?? progress.total_ops, total_batches: args.totalBatches ?? progress.total_batches,
    });
    return { status: "in_progress", nextIndex, ...counts };
  },
});

/** Rolls one version back by replaying its recorded inverse; large ones take several calls ("in_progress"). */
export const rollbackMigration = internalMutation({
  args: { version: v.string(), owner: v.string(), limits: limitsValidator },
  handler: async (ctx, args) => {
    await requireLease(ctx.db, args.owner);
    return await rollbackSome(ctx.db, args.version, args.limits ?? DEFAULT_LIMITS, false);
  },
});

/**
 * Dry run: applies (or rolls back) the migrations in order inside this one mutation, then throws a ConvexError
 * carrying the report, so Convex itself undoes every write.
 */
export const dryRun = internalMutation({
  args: {
    migrations: v.array(v.object(migrationValidator)),
    direction: v.union(v.literal("up"), v.literal("down")),
    owner: v.string(),
    limits: limitsValidator,
  },
  handler: async (ctx, args) => {
    await requireLease(ctx.db, args.owner);
    const report: Value[] = [];
    for (const m of args.migrations) {
      try {
        const result = args.direction === "up"
          ? await applyOne(ctx.db, m as MigrationArgs, "dry-run", "dry-run", args.limits ?? DEFAULT_LIMITS)
          : await rollbackSome(ctx.db, m.version, args.limits ?? DEFAULT_LIMITS, true);
        report.push({ version: m.version, ok: true, ...result });
      } catch (e) {
        const data = e instanceof ConvexError ? (e.data as Record<string, Value>) : { message: (e as Error).message };
        report.push({ version: m.version, ok: false, error: data });
        break;
      }
    }
    throw new ConvexError({ code: "DRY_RUN", report });
  },
});

/** Baseline: records a version as applied without running it. */
export const recordMigration = internalMutation({
  args: { version: v.string(), name: v.string(), checksum: v.string(), owner: v.string(), runId: v.string(), appliedBy: v.string() },
  handler: async (ctx, args) => {
    await requireLease(ctx.db, args.owner);
    if ((await historyRow(ctx.db, args.version)) !== null) {
      return { recorded: false };
    }
    await ctx.db.insert("migrations", {
      version: args.version, name: args.name, checksum: args.checksum, applied_at: Date.now(), run_id: args.runId,
      applied_by: args.appliedBy, baselined: true, state: "applied",
    });
    return { recorded: true };
  },
});

/** Repair: replaces the recorded checksum of an applied version. */
export const updateChecksum = internalMutation({
  args: { version: v.string(), checksum: v.string(), owner: v.string() },
  handler: async (ctx, args) => {
    await requireLease(ctx.db, args.owner);
    const row = await historyRow(ctx.db, args.version);
    if (row === null) {
      return { updated: false };
    }
    await ctx.db.patch(row._id, { checksum: args.checksum });
    return { updated: true };
  },
});
