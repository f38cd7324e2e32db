// Real in-memory indexes for convex-test's DatabaseFake.
//
// convex-test (0.0.60) answers every query, including `withIndex(...)` lookups, by visiting every document of the
// deployment (`DatabaseFake._iterateDocs`), filtering, and sorting. This module keeps, per table, one sorted structure
// per index (the schema's indexes plus `by_creation_time`), and narrows the set of documents that convex-test's own
// query code gets to see to the ones inside the index range, in index order. convex-test still evaluates the range
// filter, sorts, applies `.filter()`, `limit`, pagination cursors, page sizes and read limits itself: this module only
// changes *which* documents `_iterateDocs` hands to it.
//
// How it hooks in (all from this module, nothing in node_modules is edited):
//   - `DatabaseFake.prototype` (reached through the instance that a `convexTest()` accessor uses) gets wrappers for
//     `_addWrite`, `commit`, `rollbackWrites`, `stashWrites`, `restoreWrites`, `_evaluateQuery` and `paginate`.
//     A wrapper does nothing extra for a DatabaseFake that `installIndexes` was not called for.
//   - During `_evaluateQuery` / `paginate`, an own property `_iterateDocs` shadows the prototype method so the original
//     `_resolveQuerySource` iterates the index range instead of the whole deployment.
//
// Index entries are the document objects themselves (convex-test never mutates a stored document: every write stores a
// new object). An entry is "live" when it is the version the current transaction sees (`get` semantics: the newest
// pending write, else the committed document). Every pending write is added to the index when it is staged, so the
// index is always a superset of what any transaction level can see; stale versions are skipped with an identity check
// and are removed when the outermost transaction commits or rolls back.
import { AsyncLocalStorage } from "node:async_hooks";
import { compareValues, jsonToConvex, type JSONValue, type Value } from "convex/values";

// ---------------------------------------------------------------------------------------------------------------
// Value ordering (Convex order, as convex-test sorts with `compareValues`), with fast paths for strings and numbers.

function compareStrings(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Below the surrogate range, UTF-16 code unit order is UTF-8 byte order (what Convex uses).
      return x < 0xd800 && y < 0xd800 ? x - y : compareValues(a, b);
    }
  }
  return a.length - b.length;
}

export function compareConvexValues(a: unknown, b: unknown): number {
  const ta = typeof a;
  if (ta === "string" && typeof b === "string") {
    return compareStrings(a as string, b);
  }
  if (ta === "number" && typeof b === "number") {
    const x = a as number;
    // NaN and signed zeros follow Convex's bitwise rules: leave them to compareValues.
    if (x === x && b === b && (x !== 0 || b !== 0)) {
      return x < b ? -1 : x > b ? 1 : 0;
    }
  }
  return compareValues(a as Value, b as Value);
}

// Same traversal as convex-test's `evaluateFieldPath`. Pending commit timestamps are left unresolved: compareValues
// orders a CommitTsPlaceholder exactly like the int64 maximum it resolves to.
function isSimpleObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype || prototype?.constructor?.name === "Object";
}

function fieldGetter(fieldPath: string): (doc: Doc) => unknown {
  if (!fieldPath.includes(".")) {
    return (doc) => doc[fieldPath];
  }
  const parts = fieldPath.split(".");
  return (doc) => {
    let result: unknown = doc;
    for (const p of parts) {
      result = result !== undefined && result !== null && typeof result === "object" && isSimpleObject(result)
        ? (result as Record<string, unknown>)[p]
        : undefined;
    }
    return result;
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A sorted list of documents in chunks (a flat B-tree): O(log n) search, O(chunk) insert/delete.

type Doc = Record<string, unknown> & { _id: string; _creationTime: number };
type Pos = { c: number; i: number };

// Chunk size of the sorted lists, and the smallest prefix of a range handed to convex-test for a query with a limit
// or a page. Exposed so that tests can make them tiny and exercise chunk splits and prefix re-runs.
const tuning = { maxChunk: 512, minFill: 64 };
export function configureIndexes(options: Partial<typeof tuning>) {
  Object.assign(tuning, options);
}

class SortedDocs {
  chunks: Doc[][] = [];
  size = 0;
  constructor(readonly cmp: (a: Doc, b: Doc) => number) {}

  /** Position of the first document for which `pred` is true; `pred` must be false...false true...true in order. */
  firstWhere(pred: (d: Doc) => boolean): Pos {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid];
      if (pred(chunk[chunk.length - 1])) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    if (lo === chunks.length) {
      return { c: lo, i: 0 };
    }
    const chunk = chunks[lo];
    let a = 0;
    let b = chunk.length - 1; // pred(chunk[last]) is true
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (pred(chunk[mid])) {
        b = mid;
      } else {
        a = mid + 1;
      }
    }
    return { c: lo, i: a };
  }

  /** The position just before `pos` (c = -1 when there is none). */
  prev(pos: Pos): Pos {
    if (pos.i > 0) {
      return { c: pos.c, i: pos.i - 1 };
    }
    for (let c = pos.c - 1; c >= 0; c--) {
      if (this.chunks[c].length > 0) {
        return { c, i: this.chunks[c].length - 1 };
      }
    }
    return { c: -1, i: 0 };
  }

  at(pos: Pos): Doc | undefined {
    const chunk = this.chunks[pos.c];
    return chunk === undefined ? undefined : chunk[pos.i];
  }

  /** Adds `doc` unless this very object is already present. Returns whether it was added. */
  insert(doc: Doc): boolean {
    const chunks = this.chunks;
    if (chunks.length === 0) {
      chunks.push([doc]);
      this.size++;
      return true;
    }
    const lastChunk = chunks[chunks.length - 1];
    const last = lastChunk[lastChunk.length - 1];
    const cmp = this.cmp;
    const vsLast = cmp(doc, last);
    let pos: Pos;
    if (vsLast > 0) {
      pos = { c: chunks.length - 1, i: lastChunk.length }; // append: the usual case for by_creation_time
    } else {
      pos = this.firstWhere((e) => cmp(e, doc) >= 0);
      // Equal keys are only ever versions of the same document; skip this exact object if it is there already.
      for (let p = pos, e = this.at(p); e !== undefined && cmp(e, doc) === 0; p = this.next(p), e = this.at(p)) {
        if (e === doc) {
          return false;
        }
      }
    }
    const chunk = chunks[pos.c];
    chunk.splice(pos.i, 0, doc);
    this.size++;
    if (chunk.length > tuning.maxChunk) {
      const half = chunk.length >>> 1;
      chunks.splice(pos.c + 1, 0, chunk.splice(half));
    }
    return true;
  }

  /** Removes this exact object. Returns whether it was present. */
  remove(doc: Doc): boolean {
    const cmp = this.cmp;
    for (let p = this.firstWhere((e) => cmp(e, doc) >= 0), e = this.at(p); e !== undefined && cmp(e, doc) === 0;
      p = this.next(p), e = this.at(p)) {
      if (e === doc) {
        const chunk = this.chunks[p.c];
        chunk.splice(p.i, 1);
        this.size--;
        if (chunk.length === 0) {
          this.chunks.splice(p.c, 1);
        }
        return true;
      }
    }
    return false;
  }

  next(pos: Pos): Pos {
    const chunk = this.chunks[pos.c];
    if (chunk !== undefined && pos.i + 1 < chunk.length) {
      return { c: pos.c, i: pos.i + 1 };
    }
    return { c: pos.c + 1, i: 0 };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Indexes of one DatabaseFake.

class Index {
  readonly getters: ((doc: Doc) => unknown)[];
  readonly keyLength: number;
  readonly docs: SortedDocs;

  constructor(readonly name: string, readonly fields: string[]) {
    // Index key: the declared fields, then _creationTime and _id (what convex-test sorts by).
    this.getters = [...fields, "_creationTime", "_id"].map(fieldGetter);
    this.keyLength = this.getters.length;
    const getters = this.getters;
    this.docs = new SortedDocs((a, b) => {
      for (let k = 0; k < getters.length; k++) {
        const c = compareConvexValues(getters[k](a), getters[k](b));
        if (c !== 0) {
          return c;
        }
      }
      return 0;
    });
  }

  /** Compares the first `tuple.length` key components of `doc` with `tuple`. */
  compareToTuple(doc: Doc, tuple: unknown[]): number {
    for (let k = 0; k < tuple.length; k++) {
      const c = compareConvexValues(this.getters[k](doc), tuple[k]);
      if (c !== 0) {
        return c;
      }
    }
    return 0;
  }
}

type TableIndexes = { byCreationTime: Index; indexes: Map<string, Index> };

type Bound = { tuple: unknown[]; strict: boolean };
type Plan = {
  table: string;
  index: Index;
  order: "asc" | "desc";
  // Key prefix bounds; `ordered: false` means "every document of the table, order left to convex-test".
  ordered: boolean;
  lower: Bound;
  upper: Bound;
};

// Internals of convex-test's DatabaseFake that this module reads or calls.
type DatabaseFake = {
  _documents: Record<string, Doc>;
  _writes: Record<string, Doc | null>[];
  _schema: null | { tables: Map<string, { indexes: { indexDescriptor: string; fields: string[] }[] }> };
  _iterateDocs(tableName: string, callback: (doc: Doc) => void): void;
  _resolveQuerySource(query: unknown): { sortedDocs: Doc[]; filterFn: (doc: Doc) => boolean } & Record<string, unknown>;
  _evaluateQuery(query: unknown): Doc[];
  _addWrite(id: string, value: Doc | null): void;
  commit(commitTs?: bigint | null): void;
  rollbackWrites(): void;
  stashWrites(): unknown;
  restoreWrites(stashed: unknown): void;
  paginate(args: PaginateArgs): unknown;
  [STATE]?: IndexState;
};
type PaginateArgs = { query: Query; cursor: string | null; endCursor?: string | null } & Record<string, unknown>;
type RangeExpr = { type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte"; fieldPath: string; value: JSONValue };
type Query = {
  source:
    | { type: "FullTableScan"; tableName: string; order: "asc" | "desc" | null }
    | { type: "IndexRange"; indexName: string; range: RangeExpr[]; order: "asc" | "desc" | null }
    | { type: "Search" };
  operators: ({ filter: unknown } | { limit: number })[];
};

const STATE: unique symbol = Symbol.for("convex-index/state") as never;

export type IndexStats = { tables: Record<string, Record<string, number>>; staleVersions: number; queries: number;
  fallbacks: number; rescans: number };

class IndexState {
  tables = new Map<string, TableIndexes>();
  // Pending versions added since the outermost transaction began; checked when it ends.
  pending: Doc[] = [];
  stashDepth = 0;
  queries = 0;
  fallbacks = 0;
  rescans = 0;

  constructor(readonly db: DatabaseFake) {
    this.addAll(() => true);
  }

  /** Adds every stored document and pending write that `wanted` accepts (by table name) to the indexes. */
  private addAll(wanted: (table: string) => boolean) {
    const db = this.db;
    for (const id of Object.keys(db._documents)) {
      if (wanted(tableNameFromId(id))) {
        this.add(db._documents[id]);
      }
    }
    for (const level of db._writes) {
      for (const id of Object.keys(level)) {
        const doc = level[id];
        if (doc !== null && wanted(tableNameFromId(id)) && this.add(doc)) {
          this.pending.push(doc);
        }
      }
    }
  }

  /** Builds `table`'s indexes again from the schema and the documents: after the schema's indexes changed. */
  rebuild(table: string) {
    this.tables.delete(table);
    this.addAll((name) => name === table);
  }

  table(name: string): TableIndexes {
    let t = this.tables.get(name);
    if (t === undefined) {
      const byCreationTime = new Index("by_creation_time", []);
      const indexes = new Map<string, Index>([["by_creation_time", byCreationTime]]);
      for (const { indexDescriptor, fields } of this.db._schema?.tables.get(name)?.indexes ?? []) {
        indexes.set(indexDescriptor, new Index(indexDescriptor, fields));
      }
      t = { byCreationTime, indexes };
      this.tables.set(name, t);
    }
    return t;
  }

  add(doc: Doc): boolean {
    let added = false;
    for (const index of this.table(tableNameFromId(doc._id)).indexes.values()) {
      added = index.docs.insert(doc) || added;
    }
    return added;
  }

  remove(doc: Doc) {
    for (const index of this.table(tableNameFromId(doc._id)).indexes.values()) {
      index.docs.remove(doc);
    }
  }

  /** Whether `doc` is the version of its document that the current transaction level sees (DatabaseFake.get). */
  isLive(doc: Doc): boolean {
    const id = doc._id;
    const writes = this.db._writes;
    for (let i = writes.length - 1; i >= 0; i--) {
      const w = writes[i][id];
      if (w !== undefined) {
        return w === doc;
      }
    }
    return this.db._documents[id] === doc;
  }

  /** When no transaction is pending any more, drops versions that did not become the committed one. */
  settle() {
    if (this.db._writes.length !== 0 || this.stashDepth !== 0 || this.pending.length === 0) {
      return;
    }
    const documents = this.db._documents;
    for (const doc of this.pending) {
      if (documents[doc._id] !== doc) {
        this.remove(doc);
      }
    }
    this.pending = [];
  }

  /** An index plan for a query, or null to leave the query entirely to convex-test. */
  plan(query: Query): Plan | null {
    const source = query.source;
    const all: Bound = { tuple: [], strict: false };
    if (source.type === "FullTableScan") {
      const index = this.table(source.tableName).byCreationTime;
      return { table: source.tableName, index, order: source.order ?? "asc", ordered: true, lower: all, upper: all };
    }
    if (source.type !== "IndexRange") {
      return null;
    }
    const [table, indexName] = source.indexName.split(".");
    const order = source.order ?? "asc";
    if (indexName === "by_id") {
      // Sorted by _id, which no index here is; hand convex-test this table's documents only.
      return { table, index: this.table(table).byCreationTime, order, ordered: false, lower: all, upper: all };
    }
    const index = this.table(table).indexes.get(indexName);
    if (index === undefined) {
      return null; // convex-test reports the undeclared index
    }
    const fields = [...index.fields, "_creationTime", "_id"];
    const eq: unknown[] = [];
    let lower: Bound | null = null;
    let upper: Bound | null = null;
    let rangeField: string | null = null;
    try {
      for (const expr of source.range) {
        const value = queryValue(expr.value);
        if (expr.type === "Eq") {
          if (lower !== null || upper !== null || expr.fieldPath !== fields[eq.length]) {
            return null; // convex-test reports the misuse
          }
          eq.push(value);
          continue;
        }
        const isLower = expr.type === "Gt" || expr.type === "Gte";
        if (!isLower && expr.type !== "Lt" && expr.type !== "Lte") {
          return null;
        }
        if ((isLower ? lower : upper) !== null || expr.fieldPath !== (rangeField ?? fields[eq.length])) {
          return null;
        }
        rangeField = expr.fieldPath;
        const bound = { tuple: [...eq, value], strict: expr.type === "Gt" || expr.type === "Lt" };
        if (isLower) {
          lower = bound;
        } else {
          upper = bound;
        }
      }
    } catch {
      return null;
    }
    return {
      table, index, order, ordered: true,
      lower: lower ?? { tuple: eq, strict: false },
      upper: upper ?? { tuple: eq, strict: false },
    };
  }

  /**
   * The live documents of the plan's range, in index order (asc or desc), starting at `cursor` (a full index key,
   * inclusive) when given. Documents are produced on demand: `fill(n)` makes `docs` hold at least n, unless the range
   * ends first (`done`).
   */
  stream(plan: Plan, cursor: unknown[] | null) {
    const { index, lower, upper } = plan;
    const list = index.docs;
    const afterLower = (e: Doc) => {
      const c = index.compareToTuple(e, lower.tuple);
      return lower.strict ? c > 0 : c >= 0;
    };
    const beyondUpper = (e: Doc) => {
      const c = index.compareToTuple(e, upper.tuple);
      return upper.strict ? c >= 0 : c > 0;
    };
    const asc = plan.order === "asc" || !plan.ordered;
    let pos: Pos;
    if (asc) {
      pos = cursor === null
        ? list.firstWhere(afterLower)
        : list.firstWhere((e) => afterLower(e) && index.compareToTuple(e, cursor) >= 0);
    } else {
      pos = list.prev(cursor === null
        ? list.firstWhere(beyondUpper)
        : list.firstWhere((e) => beyondUpper(e) || index.compareToTuple(e, cursor) > 0));
    }
    const docs: Doc[] = [];
    const s = {
      docs,
      done: false,
      fill: (n: number) => {
        while (!s.done && docs.length < n) {
          const e = pos.c < 0 ? undefined : list.at(pos);
          if (e === undefined || (asc ? beyondUpper(e) : !afterLower(e))) {
            s.done = true;
            break;
          }
          if (this.isLive(e)) {
            docs.push(e);
          }
          pos = asc ? list.next(pos) : list.prev(pos);
        }
        return s;
      },
    };
    return s;
  }

  stats(): IndexStats {
    const tables: IndexStats["tables"] = {};
    for (const [name, t] of this.tables) {
      tables[name] = {};
      for (const [indexName, index] of t.indexes) {
        tables[name][indexName] = index.docs.size;
      }
    }
    return { tables, staleVersions: this.pending.length, queries: this.queries, fallbacks: this.fallbacks,
      rescans: this.rescans };
  }
}

// convex-test's query-bound decoding (`evaluateQueryValue`), minus placeholder resolution, which compareValues
// makes unnecessary for ordering.
function queryValue(value: JSONValue): unknown {
  if (typeof value === "object" && value !== null && "$undefined" in value) {
    return undefined;
  }
  return jsonToConvex(value);
}

// IDs are "<digits><table name>" in convex-test.
function tableNameFromId(id: string): string {
  let i = 0;
  while (i < id.length) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) {
      break;
    }
    i++;
  }
  return id.slice(i);
}

function parseCursor(cursor: string, keyLength: number): unknown[] | null {
  try {
    const keys = (JSON.parse(cursor) as (string | null)[]).map((k) => k === null ? undefined : jsonToConvex(JSON.parse(k)));
    return keys.length === keyLength ? keys : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The prototype wrappers.

/** Runs `fn` with `db._iterateDocs` answering only `docs` (for `table`). */
function withCandidates<T>(db: DatabaseFake, table: string, docs: Doc[], fn: () => T): T {
  const original = Object.getPrototypeOf(db)._iterateDocs as DatabaseFake["_iterateDocs"];
  db._iterateDocs = (tableName, callback) => {
    if (tableName !== table) {
      return original.call(db, tableName, callback);
    }
    for (const doc of docs) {
      callback(doc);
    }
  };
  try {
    return fn();
  } finally {
    delete (db as Partial<DatabaseFake>)._iterateDocs;
  }
}

type Originals = Pick<DatabaseFake, "_addWrite" | "commit" | "rollbackWrites" | "stashWrites" | "restoreWrites"
  | "_evaluateQuery" | "paginate">;
const PATCHED: unique symbol = Symbol.for("convex-index/originals") as never;

function patchPrototype(proto: DatabaseFake & { [PATCHED]?: Originals }) {
  if (proto[PATCHED] !== undefined) {
    return;
  }
  const orig: Originals = {
    _addWrite: proto._addWrite,
    commit: proto.commit,
    rollbackWrites: proto.rollbackWrites,
    stashWrites: proto.stashWrites,
    restoreWrites: proto.restoreWrites,
    _evaluateQuery: proto._evaluateQuery,
    paginate: proto.paginate,
  };
  const used = { ...orig, _iterateDocs: proto._iterateDocs, _resolveQuerySource: proto._resolveQuerySource };
  for (const [name, fn] of Object.entries(used)) {
    if (typeof fn !== "function") {
      throw new Error(`convex-index: DatabaseFake.${name} not found; unsupported convex-test version`);
    }
  }
  proto[PATCHED] = orig;

  proto._addWrite = function (this: DatabaseFake, id, value) {
    orig._addWrite.call(this, id, value);
    const st = this[STATE];
    if (st !== undefined && value !== null && st.add(value)) {
      st.pending.push(value);
    }
  };

  proto.commit = function (this: DatabaseFake, commitTs) {
    const st = this[STATE];
    if (st === undefined) {
      return orig.commit.call(this, commitTs);
    }
    const outermost = this._writes.length === 1;
    const level = this._writes[this._writes.length - 1];
    const before = new Map<string, Doc | undefined>();
    if (outermost && level !== undefined) {
      for (const id of Object.keys(level)) {
        before.set(id, this._documents[id]);
      }
    }
    orig.commit.call(this, commitTs);
    for (const [id, old] of before) {
      const now = this._documents[id];
      if (old !== undefined && old !== now) {
        st.remove(old);
      }
      if (now !== undefined && now !== level[id]) {
        st.add(now); // committing resolved a commit timestamp into a new object
      }
    }
    st.settle();
  };

  proto.rollbackWrites = function (this: DatabaseFake) {
    orig.rollbackWrites.call(this);
    this[STATE]?.settle();
  };

  proto.stashWrites = function (this: DatabaseFake) {
    const stashed = orig.stashWrites.call(this);
    const st = this[STATE];
    if (st !== undefined) {
      st.stashDepth++;
    }
    return stashed;
  };

  proto.restoreWrites = function (this: DatabaseFake, stashed) {
    orig.restoreWrites.call(this, stashed);
    const st = this[STATE];
    if (st !== undefined) {
      st.stashDepth = Math.max(0, st.stashDepth - 1);
      st.settle();
    }
  };

  proto._evaluateQuery = function (this: DatabaseFake, query) {
    const st = this[STATE];
    const plan = st?.plan(query as Query) ?? null;
    if (st === undefined || plan === null) {
      if (st !== undefined) {
        st.fallbacks++;
      }
      return orig._evaluateQuery.call(this, query);
    }
    st.queries++;
    const limitOp = (query as Query).operators.find((op) => "limit" in op) as { limit: number } | undefined;
    const limit = limitOp?.limit ?? null;
    const hasFilter = (query as Query).operators.some((op) => "filter" in op);
    const s = st.stream(plan, null);
    if (limit === null || !plan.ordered) {
      s.fill(Infinity);
    } else {
      s.fill(hasFilter ? Math.max(tuning.minFill, limit * 2) : limit);
    }
    for (;;) {
      const results = withCandidates(this, plan.table, s.docs, () => orig._evaluateQuery.call(this, query));
      // With a limit, a prefix of the range (in index order) gives the same answer once it yields `limit` results.
      if (s.done || results.length >= (limit as number)) {
        return results;
      }
      st.rescans++;
      s.fill(Math.max(tuning.minFill, s.docs.length * 4));
    }
  };

  proto.paginate = function (this: DatabaseFake, args) {
    const st = this[STATE];
    const plan = st?.plan(args.query) ?? null;
    if (st === undefined || plan === null || !plan.ordered) {
      if (st !== undefined) {
        st.fallbacks++;
      }
      return orig.paginate.call(this, args);
    }
    let cursor: unknown[] | null = null;
    if (args.cursor === "_end_cursor") {
      cursor = null; // convex-test returns an empty, done page whatever it is given
    } else if (args.cursor !== null && args.cursor !== undefined) {
      cursor = parseCursor(args.cursor, plan.index.keyLength);
      if (cursor === null) {
        st.fallbacks++;
        return orig.paginate.call(this, args);
      }
    }
    st.queries++;
    const s = st.stream(plan, cursor);
    s.fill(args.cursor === "_end_cursor" ? 0 : Math.max(tuning.minFill, 2 * (Number(args.pageSize) || 0) + 2));
    for (;;) {
      // convex-test's paginate walks the sorted documents from the start, skipping those at or before the cursor,
      // and stops on page size, end cursor or read limits. Starting the walk at the cursor is the same walk. A prefix
      // of the walk is the same walk if convex-test stopped before its last document: only there does it look at
      // whether the document is the last one. It calls filterFn on every document it reads, so watch for that one.
      let lastTouched = false;
      let complete = true;
      const ownResolve = (query: unknown) => {
        const r = Object.getPrototypeOf(this)._resolveQuerySource.call(this, query) as ReturnType<DatabaseFake["_resolveQuerySource"]>;
        complete = r.sortedDocs.length === s.docs.length;
        const last = r.sortedDocs[r.sortedDocs.length - 1];
        const filterFn = r.filterFn;
        r.filterFn = (doc) => {
          if (doc === last) {
            lastTouched = true;
          }
          return filterFn(doc);
        };
        return r;
      };
      this._resolveQuerySource = ownResolve;
      let result: unknown;
      try {
        result = withCandidates(this, plan.table, s.docs, () => orig.paginate.call(this, args));
      } finally {
        delete (this as Partial<DatabaseFake>)._resolveQuerySource;
      }
      if (s.done || (complete && !lastTouched)) {
        return result;
      }
      st.rescans++;
      s.fill(complete ? Math.max(tuning.minFill, s.docs.length * 4) : Infinity);
    }
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Public API.

type ConvexGlobal = { components: Record<string, { db: DatabaseFake }>; transactionManager: unknown };

/**
 * The convex-test internals behind a `convexTest()` accessor. convex-test keeps them in a private AsyncLocalStorage
 * that every accessor method enters synchronously; this reads the store as `finishInProgressScheduledFunctions`
 * (which has no effect when nothing is scheduled) enters it.
 */
export function getConvexGlobal(t: object): ConvexGlobal {
  const accessor = t as { finishInProgressScheduledFunctions?: () => Promise<unknown> };
  if (typeof accessor.finishInProgressScheduledFunctions !== "function") {
    throw new Error("convex-index: not a convexTest() accessor");
  }
  const run = AsyncLocalStorage.prototype.run;
  let found: ConvexGlobal | undefined;
  AsyncLocalStorage.prototype.run = function (this: AsyncLocalStorage<unknown>, store: unknown, fn: (...a: unknown[]) => unknown, ...rest: unknown[]) {
    const s = store as Partial<ConvexGlobal> | null;
    if (found === undefined && typeof s === "object" && s !== null && typeof s.components === "object" && "transactionManager" in s) {
      found = s as ConvexGlobal;
    }
    return run.call(this, store, fn, ...rest);
  } as typeof run;
  try {
    void accessor.finishInProgressScheduledFunctions().catch(() => {});
  } finally {
    AsyncLocalStorage.prototype.run = run;
  }
  if (found === undefined) {
    throw new Error("convex-index: could not reach convex-test's state; unsupported convex-test version");
  }
  return found;
}

/**
 * Gives every DatabaseFake of `t` (the root and the components registered so far) in-memory indexes. Call it again
 * after `registerComponent` to cover the new component. Returns the root DatabaseFake.
 */
export function installIndexes(t: object): unknown {
  return installIndexesOnGlobal(getConvexGlobal(t));
}

/** installIndexes, given convex-test's per-instance state (see auto-install.ts). */
export function installIndexesOnGlobal(global: ConvexGlobal): unknown {
  for (const { db } of Object.values(global.components)) {
    if (db[STATE] !== undefined) {
      continue;
    }
    if (typeof db._documents !== "object" || !Array.isArray(db._writes)) {
      throw new Error("convex-index: DatabaseFake layout not recognized; unsupported convex-test version");
    }
    patchPrototype(Object.getPrototypeOf(db));
    db[STATE] = new IndexState(db);
  }
  return global.components[""]?.db;
}

/**
 * Adds index `name` on `fields` to `table` in the deployment's schema, or lengthens it when `fields` extends its own,
 * and builds it from the documents there: what deploying a schema.ts with that index does. A table the schema lacks
 * gets an entry without a validator, so its documents stay unchecked, as before. Returns whether anything changed.
 */
export function deployIndex(rootDb: unknown, table: string, name: string, fields: string[]): boolean {
  const db = rootDb as DatabaseFake;
  const state = db[STATE];
  if (db._schema === null || state === undefined) {
    return false;
  }
  let definition = db._schema.tables.get(table);
  if (definition === undefined) {
    definition = { indexes: [] };
    db._schema.tables.set(table, definition);
  }
  const existing = definition.indexes.find((index) => index.indexDescriptor === name);
  if (existing === undefined) {
    definition.indexes.push({ indexDescriptor: name, fields: [...fields] });
  } else if (fields.length > existing.fields.length && existing.fields.every((field, i) => field === fields[i])) {
    existing.fields = [...fields];
  } else {
    return false;
  }
  state.rebuild(table);
  return true;
}

/** Index sizes and counters of `t`'s root database (or of a DatabaseFake). */
export function indexStats(tOrDb: object): IndexStats | null {
  const db = (STATE in tOrDb ? tOrDb : getConvexGlobal(tOrDb).components[""].db) as DatabaseFake;
  return db[STATE]?.stats() ?? null;
}
