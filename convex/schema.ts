// The schema the local backend and the tests use: the framework's tables. Your app's schema.ts spreads the same
// tables next to its own (see migrations/schema.ts); `migrate convex-schema` renders your declared tables.
import { defineSchema } from "convex/server";
import { migrationTables } from "./migrations/schema";

export default defineSchema(migrationTables);
