// Runs data ops inside one mutation, measuring what they cost and recording their exact inverse.
import { ConvexError, convexToJson, type GenericId, getConvexSize, getDocumentSize, type Value } from "convex/values";
import type { GenericDatabaseWriter } from "convex/server";

/** The app's tables are whatever its migrations declare, so data ops see an untyped database. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Db = GenericDatabaseWriter<any>;

export type DataOp = {
  index: number;
  type: "insert" | "update" | "delete";
  table: string;
  data?: Record<string, Value>;
  filter?: Record<string, Value>;
  /** An index the migrations declare whose leading `fields` the filter names: read that range, not the table. */
  lookup?: { index: string; fields: string[] };
};

/** One step of an inverse: replayed newest first on rollback. */
export type InverseEntry =
  | { op: "delete_inserted"; table: string; id: string }
  | { op: "restore_fields"; table: string; id: string; fields: Record<string, Value>; absent: string[] }
  | { op: "reinsert"; table: string; id: string; doc: Record<string, Value> };

/** Per-mutation budget, kept well inside Convex's transaction limits (16k writes, 32k reads, 16 MiB each way). */
export type Limits = { documentsRead: number; documentsWritten: number; bytesRead: number; bytesWritten: number };

export const DEFAULT_LIMITS: Limits = {
  documentsRead: 24_000,
  documentsWritten: 8_000,
  bytesRead: 12 * 1024 * 1024,
  bytesWritten: 8 * 1024 * 1024,
};

const INVERSE_CHUNK_ENTRIES = 256;
const INVERSE_CHUNK_BYTES = 256 * 1024;

/** A value's size as Convex counts it against its limits (UTF-8 bytes of text, 9 bytes a number). */
export function sizeOf(value: Value | undefined): number {
  return value === undefined ? 0 : getConvexSize(value);
}

function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (a === undefined || b === undefined) {
    return a === b;
  }
  return JSON.stringify(convexToJson(a)) === JSON.stringify(convexToJson(b));
}

/** Convex allows 4,096 index range reads per function; stepwise work stops at half of that. */
const MAX_INDEX_RANGES = 2_000;

/** Counts reads and writes of one mutation and stops it, with a clear error, before Convex's own limits do. */
export class Budget {
  documentsRead = 0;
  documentsWritten = 0;
  bytesRead = 0;
  bytesWritten = 0;
  indexRanges = 0;
  /** How the current op reads (an index range, or the whole table and why), for advice that fits when reads run out. */
  reading: {
    opIndex: number; table: string; fields: string[]; index?: string; unusable?: { index: string; why: string };
  } | undefined;

  constructor(private readonly limits: Limits, private readonly version: string) {}

  read(doc: Value, opIndex: number) {
    this.documentsRead++;
    this.bytesRead += sizeOf(doc);
    this.check(opIndex);
  }

  write(doc: Value | undefined, opIndex: number) {
    this.documentsWritten++;
    this.bytesWritten += sizeOf(doc);
    this.check(opIndex);
  }

  /** One query over an index or a table. */
  indexRange(opIndex: number) {
    this.indexRanges++;
    this.check(opIndex);
  }

  /** Counts a write without enforcing the limit: for stepwise work that checks {@link used} itself. */
  count(doc: Value | undefined) {
    this.documentsWritten++;
    this.bytesWritten += sizeOf(doc);
  }

  /** Counts a read without enforcing the limit: for stepwise work that checks {@link used} itself. */
  countRead(doc: Value | null) {
    this.documentsRead++;
    this.bytesRead += doc === null ? 0 : sizeOf(doc);
  }

  /** Fraction of the tightest limit used so far, for stepwise work that should stop early. */
  used(): number {
    return Math.max(
      this.documentsRead / this.limits.documentsRead,
      this.documentsWritten / this.limits.documentsWritten,
      this.bytesRead / this.limits.bytesRead,
      this.bytesWritten / this.limits.bytesWritten,
      this.indexRanges / MAX_INDEX_RANGES,
    );
  }

  /** Batching splits a file between ops; it cannot shorten one op's read, but an index (or a narrower filter) can. */
  private advice(opIndex: number, what: string): string {
    const reading = this.reading;
    if (reading === undefined || reading.opIndex !== opIndex || !what.endsWith("read")) {
      return `split the file or set "batched": true`;
    }
    if (reading.index !== undefined) {
      return `the documents index "${reading.index}" finds for its filter are more than one mutation may read: ` +
        `narrow the filter`;
    }
    const scans = `it reads all of table "${reading.table}" to find its documents: `;
    if (reading.unusable !== undefined) {
      return scans + `index "${reading.unusable.index}" ${reading.unusable.why}; deploy the schema ` +
        `(\`migrate convex-schema\`) and wait for its indexes before applying`;
    }
    const fields = reading.fields.filter((field) => field !== "_id");
    return scans + (fields.length === 0
      ? `an op over every document of a table this large cannot run in one mutation`
      : `declare an index on ${fields.map((field) => `"${field}"`).join(", ")} in a migration and deploy the ` +
        `schema (\`migrate convex-schema\`) before applying`);
  }

  private check(opIndex: number) {
    const over: [string, number, number][] = [
      ["documents read", this.documentsRead, this.limits.documentsRead],
      ["documents written", this.documentsWritten, this.limits.documentsWritten],
      ["bytes read", this.bytesRead, this.limits.bytesRead],
      ["bytes written", this.bytesWritten, this.limits.bytesWritten],
      ["index range reads", this.indexRanges, MAX_INDEX_RANGES],
    ];
    for (const [what, used, max] of over) {
      if (used > max) {
        throw new ConvexError({
          code: "TOO_LARGE",
          version: this.version,
          opIndex,
          limit: what,
          max,
          message:
            `version ${this.version}: data op ${opIndex} takes the migration past ${max} ${what} in one ` +
            `mutation (Convex allows 16,000 documents written, 32,000 read and 16 MiB each way per transaction); ` +
            this.advice(opIndex, what),
        });
      }
    }
  }
}

/** Collects inverse entries and stores them in chunks in migration_inverse. */
export class InverseRecorder {
  private entries: InverseEntry[] = [];
  private bytes = 0;

  constructor(private readonly db: Db, private readonly version: string, public nextSeq: number,
              private readonly budget: Budget) {}

  async add(entry: InverseEntry, opIndex: number) {
    const bytes = sizeOf(entry as unknown as Value);
    if (this.entries.length > 0 && this.bytes + bytes > INVERSE_CHUNK_BYTES) {
      await this.flush(opIndex); // before, not after: a chunk stays a document Convex can store (1 MiB)
    }
    this.entries.push(entry);
    this.bytes += bytes;
    if (this.entries.length >= INVERSE_CHUNK_ENTRIES) {
      await this.flush(opIndex);
    }
  }

  async flush(opIndex = -1) {
    if (this.entries.length === 0) {
      return;
    }
    const doc = { version: this.version, seq: this.nextSeq++, entries: this.entries as unknown as Value[] };
    this.budget.write(doc as unknown as Value, opIndex);
    await this.db.insert("migration_inverse", doc);
    this.entries = [];
    this.bytes = 0;
  }
}

/** Why Convex (or convex-test) could not read an index, from its error; undefined for any other error. */
function indexUnusable(message: string): string | undefined {
  if (/Index \S+ not found|is not declared in the schema/.test(message)) {
    return "is declared by the migrations but not deployed";
  }
  if (/Index \S+ is currently (backfilling|staged)/.test(message)) {
    return "is deployed but not ready (backfilling or staged)";
  }
  if (/Incorrect field used in `withIndex`|didn't use the index fields in order/.test(message)) {
    return "is deployed with other fields than the migrations declare";
  }
  return undefined;
}

type AppDocument = Record<string, Value> & { _id: GenericId<string> };

/**
 * Documents of the op's table whose fields equal every field of its filter. Reads as few as it can: one document for
 * a filter on `_id`, the index range for a filter the op's `lookup` index covers, else the whole table. Every
 * document read counts against the budget, so a scan of a large table stops with advice to declare an index.
 */
async function matching(db: Db, op: DataOp, budget: Budget) {
  const filter = op.filter ?? {};
  budget.indexRange(op.index);
  const found: AppDocument[] = [];
  let readAny = false;
  const consider = (doc: AppDocument) => {
    readAny = true;
    budget.read(doc as unknown as Value, op.index);
    if (Object.entries(filter).every(([field, value]) => sameValue(doc[field] as Value | undefined, value))) {
      found.push(doc);
    }
  };
  if (filter._id !== undefined) {
    const id = typeof filter._id === "string" ? db.normalizeId(op.table, filter._id) : null;
    const doc = id === null ? null : await db.get(id);
    if (doc !== null) {
      consider(doc);
    }
    return found;
  }
  const lookup = op.lookup;
  let unusable: { index: string; why: string } | undefined;
  if (lookup !== undefined) {
    budget.reading = { opIndex: op.index, table: op.table, fields: Object.keys(filter), index: lookup.index };
    try {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const range = db.query(op.table).withIndex(lookup.index, (q: any) =>
        lookup.fields.reduce((r, field) => r.eq(field, filter[field]), q));
      for await (const doc of range) {
        consider(doc);
      }
      budget.reading = undefined;
      return found;
    } catch (e) {
      // The deployment cannot read this index yet: not in its schema (schema.ts not deployed), still backfilling or
      // staged, or declared there on other fields.
      // The table is scanned instead. Any other error, or one after documents were read, is a real failure.
      const why = indexUnusable(String((e as Error)?.message));
      if (readAny || e instanceof ConvexError || why === undefined) {
        throw e;
      }
      unusable = { index: lookup.index, why };
    }
  }
  budget.reading = { opIndex: op.index, table: op.table, fields: Object.keys(filter), unusable };
  for await (const doc of db.query(op.table)) {
    consider(doc);
  }
  budget.reading = undefined;
  return found;
}

export type OpCounts = { inserted: number; updated: number; deleted: number };

/** Convex stores at most 1 MiB per document, system fields included. */
const MAX_DOCUMENT_SIZE = 1 << 20;

/**
 * Refuses a document Convex would not store, as Convex measures it: checked here because the local backend would
 * store it and production would not. (An update can grow a document past the limit that its file could not show.)
 */
function checkDocumentSize(doc: Record<string, Value>) {
  const size = getDocumentSize(doc);
  if (size > MAX_DOCUMENT_SIZE) {
    throw new Error(`the document would be ${Math.floor(size / 1024)} KiB; Convex stores at most 1 MiB per document`);
  }
}

/** Runs ops in order; any failure throws a ConvexError naming the op, so the whole mutation is undone. */
export async function runOps(db: Db, version: string, ops: DataOp[], budget: Budget, inverse: InverseRecorder)
    : Promise<OpCounts> {
  const counts: OpCounts = { inserted: 0, updated: 0, deleted: 0 };
  for (const op of ops) {
    try {
      if (op.type === "insert") {
        budget.write(op.data as Value, op.index);
        const id = await db.insert(op.table, op.data ?? {});
        await inverse.add({ op: "delete_inserted", table: op.table, id }, op.index);
        counts.inserted++;
      } else if (op.type === "update") {
        for (const doc of await matching(db, op, budget)) {
          const fields: Record<string, Value> = {};
          const absent: string[] = [];
          for (const field of Object.keys(op.data ?? {})) {
            if (doc[field] === undefined) {
              absent.push(field);
            } else {
              fields[field] = doc[field] as Value;
            }
          }
          budget.write(op.data as Value, op.index);
          checkDocumentSize({ ...(doc as Record<string, Value>), ...(op.data ?? {}) });
          await db.patch(doc._id, op.data ?? {});
          await inverse.add({ op: "restore_fields", table: op.table, id: doc._id, fields, absent }, op.index);
          counts.updated++;
        }
      } else {
        for (const doc of await matching(db, op, budget)) {
          const { _id, _creationTime, ...fields } = doc;
          void _creationTime;
          budget.write(undefined, op.index);
          await db.delete(_id);
          await inverse.add({ op: "reinsert", table: op.table, id: _id, doc: fields as Record<string, Value> }, op.index);
          counts.deleted++;
        }
      }
    } catch (e) {
      if (e instanceof ConvexError) {
        throw e;
      }
      throw new ConvexError({
        code: "OP_FAILED",
        version,
        opIndex: op.index,
        message: `version ${version}: data op ${op.index} (${op.type} ${op.table}) failed: ${(e as Error).message}`,
      });
    }
  }
  return counts;
}

/**
 * Where documents re-inserted by rollbacks now live (Convex never reuses an id). A rollback of 003 that re-inserts a
 * document 003 deleted gives it a new id, while the inverse entries of 002 and 001 still name the old one: they find
 * it here. Kept until no version is applied (every rollback goes newest first, so until then an older version's
 * entries may name an old id); followed through a chain when a document was re-inserted more than once. Remaps made
 * in this mutation are kept in memory; the table is read only when it holds any.
 */
export class IdRemap {
  private readonly made = new Map<string, string>();

  constructor(private readonly db: Db, private readonly version: string, private readonly stored: boolean,
              private readonly budget: Budget) {}

  static async open(db: Db, version: string, budget: Budget): Promise<IdRemap> {
    budget.indexRange(-1);
    const any = await db.query("migration_id_remap").first();
    return new IdRemap(db, version, any !== null, budget);
  }

  async current(id: string): Promise<string> {
    let at = id;
    for (let hops = 0; hops < 64; hops++) {
      const known = this.made.get(at);
      if (known !== undefined) {
        at = known;
        continue;
      }
      if (!this.stored) {
        return at;
      }
      this.budget.indexRange(-1);
      const remap = await this.db.query("migration_id_remap")
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        .withIndex("by_old", (q: any) => q.eq("old_id", at)).first();
      if (remap === null) {
        return at;
      }
      at = remap.new_id;
    }
    return at;
  }

  async record(oldId: string, newId: string) {
    this.made.set(oldId, newId);
    await this.db.insert("migration_id_remap", { version: this.version, old_id: oldId, new_id: newId });
    // A synced row's document moved too: its sync_ids entry follows, so the next sync updates it in place.
    this.budget.indexRange(-1);
    const synced = await this.db.query("sync_ids")
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      .withIndex("by_doc", (q: any) => q.eq("doc_id", oldId)).first();
    if (synced !== null) {
      await this.db.patch(synced._id, { doc_id: newId });
    }
  }
}

/** Replays one inverse entry; the documents it reads and writes count against the budget. */
export async function undo(db: Db, remap: IdRemap, entry: InverseEntry, budget: Budget) {
  switch (entry.op) {
    case "delete_inserted": {
      const id = await remap.current(entry.id);
      const doc = await db.get(id as never);
      budget.countRead(doc as Value | null);
      if (doc !== null) {
        await db.delete(id as never);
      }
      return;
    }
    case "restore_fields": {
      const id = await remap.current(entry.id);
      const patch: Record<string, Value | undefined> = { ...entry.fields };
      for (const field of entry.absent) {
        patch[field] = undefined;
      }
      const doc = await db.get(id as never);
      budget.countRead(doc as Value | null);
      if (doc !== null) {
        budget.count(doc as Value); // a patch writes the whole document
        await db.patch(id as never, patch);
      }
      return;
    }
    case "reinsert": {
      const newId = await db.insert(entry.table, entry.doc);
      await remap.record(entry.id, newId);
      return;
    }
  }
}
