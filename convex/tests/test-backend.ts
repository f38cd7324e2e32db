// The local backend as the Java tests run it: the same server plus two routes only tests may have, both behind the
// deploy key. POST /_test/reset empties every table; POST /_test/documents {"table": name} returns every document
// of a table (convex_encoded_json), so tests can check what a migration or a sync really wrote.
import { convexToJson, type Value } from "convex/values";
import { HttpError, serve, type Route } from "../server/backend";

const reset: Route = async (req, res, context) => {
  if (!context.isAdmin(req)) {
    throw new HttpError(401, "test routes need the deploy key");
  }
  context.reset();
  context.send(res, 200, { status: "success", value: null });
};

const documents: Route = async (req, res, context) => {
  if (!context.isAdmin(req)) {
    throw new HttpError(401, "test routes need the deploy key");
  }
  const { table } = JSON.parse(await context.readBody(req)) as { table: string };
  // Page by page: one call may read only so many documents (Convex's limit, which convex-test keeps).
  const docs: unknown[] = [];
  for (let cursor: string | null = null; ;) {
    const page = await context.run(async (ctx) => await ctx.db.query(table as never)
      .paginate({ cursor, numItems: 10_000 }));
    docs.push(...page.page);
    if (page.isDone) {
      break;
    }
    cursor = page.continueCursor;
  }
  context.send(res, 200, { status: "success", value: convexToJson(docs as unknown as Value) });
};

serve({ "/_test/reset": reset, "/_test/documents": documents });
