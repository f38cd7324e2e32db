// Runs universal.asl.json on this machine with aws-local-stepfunctions (no AWS, no Docker): each Task state calls the
// real handler through `migrate invoke <Function> --event -`, exactly as Lambda would be given the state's input.
//
//   node run-local.mjs '{"target": null, "dryRun": false, "sync": false, "tables": []}'
//
// MIGRATE_COMMAND (JSON array) says how to run migrate; the default is the repository's ./migrate launcher. Database
// settings come from the environment as for `migrate invoke` (SUPABASE_DB_URL, CONVEX_URL, MIGRATIONS_DIR, ...).
// Prints {"status": "SUCCEEDED"|"FAILED", "output"|"error"|"cause", "states": [visited Task states], "notifications":
// [SNS messages published], "outcome": what a failure reports, "largestState": bytes} and exits 0 or 1. EXECUTION_NAME sets $$.Execution.Name (the run id).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// aws-local-stepfunctions 3 (the only release) targets Node 22; on Node 20 it only lacks Promise.withResolvers.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
const { StateMachine, ExecutionError } = await import("aws-local-stepfunctions");

const here = fileURLToPath(new URL(".", import.meta.url));
// As template.yaml's DefinitionSubstitutions do: ${MigrationStatusArn} -> a Lambda ARN (overridden below anyway).
// DEFINITION picks the state machine: universal.asl.json (default) or sync.asl.json.
const definition = JSON.parse(readFileSync(new URL("./" + (process.env.DEFINITION ?? "universal.asl.json"),
  import.meta.url), "utf8")
  .replace(/\$\{(\w+)Arn\}/g, "arn:aws:lambda:us-east-1:123456789012:function:$1"));
const command = JSON.parse(process.env.MIGRATE_COMMAND ?? JSON.stringify([here + "../migrate"]));
const input = JSON.parse(process.argv[2] ?? readFileSync(0, "utf8"));
const visited = [];

/** A Task handler that runs one Lambda handler through `migrate invoke`, turning its error payload into an error. */
function handler(state, functionName) {
  return (event) => {
    visited.push(state);
    const run = spawnSync(command[0], [...command.slice(1), "invoke", functionName, "--event", "-"], {
      input: JSON.stringify(event), encoding: "utf8", env: process.env, maxBuffer: 64 * 1024 * 1024,
    });
    process.stderr.write(run.stderr ?? "");
    let response;
    try {
      response = JSON.parse(run.stdout);
    } catch {
      const error = new Error(`migrate invoke ${functionName} printed no JSON (exit ${run.status}): ${run.stdout}`);
      error.name = "Lambda.Unknown";
      throw error;
    }
    if (response !== null && typeof response === "object" && "errorType" in response) {
      const error = new Error(response.errorMessage);
      error.name = response.errorType; // what Step Functions matches Retry and Catch against
      throw error;
    }
    return response;
  };
}

const machine = new StateMachine(definition, { validationOptions: { checkArn: false } });
const tasks = {
  Plan: "MigrationStatus", ApplySupabase: "ApplyMigrations", ApplyConvex: "ApplyMigrations",
  Compensate: "RollbackMigrations", Sync: "SyncData",
  SyncMore: "SyncData", SyncTables: "SyncData", PlanRanges: "SyncData", SyncRange: "SyncRangeWorker", FinishRanges: "SyncData",
};
// The SNS notifications are kept and printed, as a subscriber of the topics would receive them.
const notifications = [];
const notify = (state) => (params) => {
  visited.push(state);
  const message = typeof params.Message === "string" ? JSON.parse(params.Message) : params.Message;
  notifications.push({ state, topic: params.TopicArn, subject: params.Subject, message });
  return { MessageId: `local-${notifications.length}` };
};
const taskResourceLocalHandlers = {
  ...Object.fromEntries(Object.entries(tasks).map(([s, f]) => [s, handler(s, f)])),
  NotifyRunFailed: notify("NotifyRunFailed"), NotifyCompensationFailed: notify("NotifyCompensationFailed"),
};
const retryIntervalOverrides = Object.fromEntries(Object.keys(taskResourceLocalHandlers).map((s) => [s, 0]));
const name = process.env.EXECUTION_NAME ?? `local-${Date.now()}`;
const context = { Execution: { Id: `arn:aws:states:us-east-1:123456789012:execution:universal:${name}`, Name: name,
  Input: input, StartTime: new Date().toISOString() } };
const execution = machine.run(input, { overrides: { taskResourceLocalHandlers, retryIntervalOverrides }, context });
// The largest state data any state passed on (Step Functions refuses more than 256 KiB), and the failure outcome as
// the Report state saw it: this emulator's States.JsonToString mangles quotes inside nested strings, so the Fail
// state's cause text is not reliable JSON here (on AWS it is).
let largestState = 0;
let outcome;
const sizes = (async () => {
  for await (const event of execution.eventLogs) {
    if (event.type === "StateExited" && event.state?.output !== undefined) {
      largestState = Math.max(largestState, Buffer.byteLength(JSON.stringify(event.state.output)));
      if (event.state.name === "Report") {
        outcome = event.state.output.outcome;
      }
    }
  }
})();
try {
  const output = await execution.result;
  await sizes.catch(() => {});
  console.log(JSON.stringify({ status: "SUCCEEDED", output, states: visited, notifications, largestState }));
} catch (e) {
  if (!(e instanceof ExecutionError)) {
    throw e;
  }
  await sizes.catch(() => {});
  console.log(JSON.stringify({ status: "FAILED", error: e.cause?.name, cause: e.cause?.message, outcome, states: visited,
    notifications, largestState }));
  process.exitCode = 1;
}
