// The convex/ function modules as the map convex-test expects (a key under "_generated/" marks the root).
import { readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const functionsRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
const SKIP = new Set(["node_modules", "server", "tests", "_generated"]);

function walk(dir: string, out: string[]) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP.has(entry.name) && !entry.name.startsWith(".")) {
        walk(join(dir, entry.name), out);
      }
    } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") && !entry.name.endsWith(".test.ts")) {
      out.push(join(dir, entry.name));
    }
  }
}

/** "migrations/runner.ts" -> loader, keyed as convex-test resolves "migrations/runner:applyMigration". */
export function functionModules(): Record<string, () => Promise<Record<string, unknown>>> {
  const files: string[] = [];
  walk(functionsRoot, files);
  const modules: Record<string, () => Promise<Record<string, unknown>>> = {
    "./_generated/api.js": async () => ({}),
  };
  for (const file of files) {
    modules["./" + relative(functionsRoot, file).split("\\").join("/")] = () => import(pathToFileURL(file).href);
  }
  return modules;
}
