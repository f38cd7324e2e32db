// The local Convex backend: the real convex/ functions, run by the official convex-test package, served over Convex's
// HTTP API (/api/query, /api/mutation, /api/action, /api/function) with convex_encoded_json values, 200/560 statuses,
// and deploy-key auth for internal functions. State lives in memory for the life of the process.
//
// server/local-backend.ts runs it as the CLI's local default; tests/test-backend.ts runs it with extra routes that
// only tests may have.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { writeFileSync } from "node:fs";
import { convexTest } from "convex-test";
import { makeFunctionReference } from "convex/server";
import { ConvexError, convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import schema from "../schema";
import { deployIndex, installIndexes } from "./indexed-db";
import { functionModules } from "./modules";

type Kind = "query" | "mutation" | "action";
type RegisteredFunction = { isQuery?: boolean; isMutation?: boolean; isAction?: boolean; isInternal?: boolean };

const MAX_BODY_BYTES = 32 * 1024 * 1024;
const modules = functionModules();
// convex-test scans every document for every query; indexed-db.ts gives it real indexes (the same answers, checked by
// tests/indexed-db.test.ts), so a sync's per-row lookups stay cheap at a million rows.
let root: unknown; // the deployment's DatabaseFake, for deployIndex
const newBackend = () => {
  const backend = convexTest({ schema, modules, transactionLimits: true });
  root = installIndexes(backend);
  return backend;
};
let t = newBackend();
const adminKey = process.env.CONVEX_DEPLOY_KEY || "local|" + randomBytes(24).toString("hex");

/** What an extra route may do: check the deploy key, read the body, reset or read the in-memory deployment. */
export type RouteContext = {
  isAdmin(req: IncomingMessage): boolean;
  readBody(req: IncomingMessage): Promise<string>;
  reset(): void;
  run<T>(fn: (ctx: { db: { query(table: never): TestQuery } }) => Promise<T>): Promise<T>;
  send(res: ServerResponse, status: number, body: unknown): void;
};
/** What the test routes may ask of a table query. */
export type TestQuery = {
  collect(): Promise<unknown[]>;
  paginate(options: { cursor: string | null; numItems: number }): Promise<{ page: unknown[]; isDone: boolean;
    continueCursor: string }>;
};
export type Route = (req: IncomingMessage, res: ServerResponse, context: RouteContext) => Promise<void>;

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function lookup(path: string): Promise<RegisteredFunction> {
  const [modulePath, exportName = "default"] = path.split(":");
  const load = modules["./" + modulePath + ".ts"];
  const fn = load === undefined ? undefined : ((await load())[exportName] as RegisteredFunction | undefined);
  if (fn === undefined || !(fn.isQuery || fn.isMutation || fn.isAction)) {
    throw new HttpError(404, `Could not find function for '${path}'. Did you forget to run \`npx convex dev\`?`);
  }
  return fn;
}

function isAdmin(req: IncomingMessage): boolean {
  const header = req.headers.authorization ?? "";
  if (!header.startsWith("Convex ")) {
    return false;
  }
  const given = Buffer.from(header.slice("Convex ".length));
  const expected = Buffer.from(adminKey);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new HttpError(401, "BadAdminKey: the provided admin key is invalid for this deployment");
  }
  return true;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * This deployment has only the framework's schema, and the app's schema.ts is never deployed to it. So the indexes
 * that data ops name (`lookup`, from the migrations' declared indexes) are deployed here when an op first names one,
 * as deploying that schema.ts would; the ops then read index ranges, as in production.
 */
function deployLookupIndexes(args: Value) {
  const call = args as { ops?: unknown; migrations?: { ops?: unknown }[] };
  const opLists = [call.ops, ...(Array.isArray(call.migrations) ? call.migrations.map((m) => m?.ops) : [])];
  for (const ops of opLists) {
    for (const op of Array.isArray(ops) ? ops : []) {
      const { table, lookup } = op as { table?: unknown; lookup?: { index?: unknown; fields?: unknown } };
      if (typeof table === "string" && typeof lookup?.index === "string" && Array.isArray(lookup.fields)
          && lookup.fields.every((field) => typeof field === "string")) {
        deployIndex(root, table, lookup.index, lookup.fields as string[]);
      }
    }
  }
}

async function call(kind: Kind | "any", path: string, args: Value, admin: boolean): Promise<Value> {
  const fn = await lookup(path);
  const actual: Kind = fn.isQuery ? "query" : fn.isMutation ? "mutation" : "action";
  if (kind !== "any" && kind !== actual) {
    throw new HttpError(400, `Function '${path}' is a ${actual}, not a ${kind}`);
  }
  if (fn.isInternal && !admin) {
    // Convex answers as if an internal function did not exist for callers without the deploy key.
    throw new HttpError(404, `Could not find public function for '${path}'. Did you forget to run \`npx convex dev\`?`);
  }
  if (path.startsWith("migrations/runner:")) {
    deployLookupIndexes(args);
  }
  // convex-test's typed API wants generated references; a string path is what the HTTP API carries.
  const run = t as unknown as Record<Kind, (ref: unknown, args: Value) => Promise<Value>>;
  return await run[actual](makeFunctionReference(path), args);
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "Content-Type": typeof body === "string" ? "text/plain" : "application/json" });
  res.end(text);
}

const context: RouteContext = {
  isAdmin,
  readBody,
  reset: () => {
    t = newBackend();
  },
  run: (fn) => t.run(fn as never) as never,
  send,
};

async function handle(req: IncomingMessage, res: ServerResponse, routes: Record<string, Route>) {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (req.method === "GET" && (url.pathname === "/version" || url.pathname === "/instance_name")) {
    return send(res, 200, "local-convex-test");
  }
  const extra = routes[url.pathname];
  if (extra !== undefined && req.method === "POST") {
    try {
      return await extra(req, res, context);
    } catch (e) {
      return send(res, e instanceof HttpError ? e.status : 500, (e as Error).message);
    }
  }
  const route = /^\/api\/(query|mutation|action|function)$/.exec(url.pathname);
  if (route === null) {
    return send(res, 404, "No such route");
  }
  if (req.method !== "POST") {
    return send(res, 405, "Use POST");
  }
  let request: { path?: unknown; args?: unknown; format?: unknown; componentPath?: unknown };
  try {
    request = JSON.parse(await readBody(req));
  } catch (e) {
    if (e instanceof HttpError) {
      return send(res, e.status, e.message);
    }
    return send(res, 400, "BadJsonBody: the request body is not JSON");
  }
  try {
    const admin = isAdmin(req);
    if (typeof request.path !== "string") {
      throw new HttpError(400, "BadRequest: 'path' must be a string such as \"module/file:function\"");
    }
    if (request.format !== undefined && request.format !== "convex_encoded_json" && request.format !== "json") {
      throw new HttpError(400, `BadRequest: unsupported format ${String(request.format)}`);
    }
    const isFunction = route[1] === "function";
    const rawArgs = isFunction ? request.args : Array.isArray(request.args) ? request.args[0] : undefined;
    if (isFunction ? typeof rawArgs !== "object" || rawArgs === null || Array.isArray(rawArgs)
        : !Array.isArray(request.args) || request.args.length !== 1) {
      throw new HttpError(400, isFunction ? "BadRequest: 'args' must be an object"
        : "BadRequest: 'args' must be an array holding one arguments object");
    }
    const args = jsonToConvex((rawArgs ?? {}) as JSONValue);
    const value = await call(isFunction ? "any" : (route[1] as Kind), request.path, args, admin);
    return send(res, 200, { status: "success", value: convexToJson(value ?? null), logLines: [] });
  } catch (e) {
    if (e instanceof HttpError) {
      return send(res, e.status, e.message);
    }
    const error = e as Error & { data?: Value };
    const body: Record<string, unknown> = {
      status: "error",
      errorMessage: e instanceof ConvexError ? `Uncaught ConvexError: ${error.message}` : `Uncaught Error: ${error.message}`,
      logLines: [],
    };
    if (e instanceof ConvexError) {
      body.errorData = convexToJson(error.data as Value);
    }
    return send(res, 560, body);
  }
}

/**
 * Listens on 127.0.0.1:$PORT (0: any free port), prints CONVEX_URL and CONVEX_DEPLOY_KEY, and writes them with the pid
 * to $READY_FILE when set (how the Java side finds a backend it started).
 */
export function serve(routes: Record<string, Route> = {}) {
  const server = createServer((req, res) => {
    handle(req, res, routes).catch((e) => send(res, 500, `InternalServerError: ${(e as Error).message}`));
  });
  server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const url = `http://127.0.0.1:${port}`;
    console.log(`Local Convex backend (convex-test) listening at ${url}`);
    console.log(`CONVEX_URL=${url}`);
    console.log(`CONVEX_DEPLOY_KEY=${adminKey}`);
    if (process.env.READY_FILE) {
      writeFileSync(process.env.READY_FILE, JSON.stringify({ url, adminKey, pid: process.pid }));
    }
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => server.close(() => process.exit(0)));
  }
}
