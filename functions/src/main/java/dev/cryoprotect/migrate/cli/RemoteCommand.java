package dev.cryoprotect.migrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "remote", description = "For CI: start a universal run of the deployed stack through its API (SigV4,"
        + " with your AWS credentials) and wait for it to end. Exit code 0 when it succeeded, 1 when it failed (the"
        + " run's own compensation has then undone what it applied, unless it says otherwise).")
final class RemoteCommand implements Callable<Integer> {
    private static final List<String> ENDED = List.of("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED");

    @ParentCommand
    MigrateCli cli;
    @Mixin
    Options.Format format;
    @Mixin
    Options.Env environment;
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;
    @Option(names = "--api", paramLabel = "URL", description = "The stack's ApiUrl output (default: $MIGRATE_API_URL).")
    String api;
    @Option(names = "--target", paramLabel = "VERSION", description = "Apply up to and including this version.")
    Version target;
    @Option(names = "--dry-run", description = "Run every migration and roll it back; change nothing.")
    boolean dryRun;
    @Option(names = "--sync", paramLabel = "TABLE", arity = "0..*",
            description = "Also sync these tables to Convex after applying (none given: every table).")
    List<String> sync;
    @Option(names = "--run", paramLabel = "RUN_ID", description = "Do not start a run: follow this one.")
    String runId;
    @Option(names = "--no-wait", description = "Start the run and print its id without waiting for it.")
    boolean noWait;
    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "3600",
            description = "Give up waiting after this long (the run goes on; default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;
    @Option(names = "--poll", paramLabel = "SECONDS", defaultValue = "10",
            description = "Seconds between status checks (default: ${DEFAULT-VALUE}).")
    double pollSeconds;

    @Override
    public Integer call() throws InterruptedException {
        SignedApi client = new SignedApi(api != null ? api : env().get("MIGRATE_API_URL"),
                blankToNull(env().get("AWS_REGION")), credentials());
        String id = runId;
        if (id == null) {
            Map<String, Object> input = new LinkedHashMap<>();
            input.put("target", target == null ? null : target.text());
            input.put("dryRun", dryRun);
            input.put("sync", sync != null);
            input.put("tables", sync == null ? List.of() : sync);
            JsonNode started = check(client.post("/runs", input), "starting a run");
            id = started.path("runId").asText(null);
            if (id == null) {
                throw new MigrateException(Failure.UNREACHABLE, client.describe() + " answered without a runId: " + started);
            }
            say("started universal run " + id);
            if (noWait) {
                return print(started, 0);
            }
        }
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        String last = null;
        while (true) {
            JsonNode run = check(client.get("/runs/" + id), "reading run " + id);
            String status = run.path("status").asText();
            if (!status.equals(last)) {
                say("run " + id + ": " + status);
                last = status;
            }
            if (ENDED.contains(status)) {
                return print(run, status.equals("SUCCEEDED") ? 0 : Failure.MIGRATION_FAILED.exitCode());
            }
            if (System.nanoTime() >= deadline) {
                say("still " + status + " after " + timeoutSeconds + " s; the run goes on. Follow it with: migrate"
                        + " remote --run " + id);
                return print(run, Failure.MIGRATION_FAILED.exitCode());
            }
            Thread.sleep((long) (pollSeconds * 1000));
        }
    }

    /** The body of a 2xx answer; anything else as the failure it means, with the API's own message. */
    private static JsonNode check(SignedApi.Answer answer, String doing) {
        if (answer.status() / 100 == 2) {
            return answer.body();
        }
        String message = answer.body().path("error").path("message").asText(answer.body().path("message")
                .asText("HTTP " + answer.status()));
        Failure kind = switch (answer.status()) {
            case 400, 404 -> Failure.BAD_INPUT;
            case 409 -> Failure.LOCK_BUSY;
            default -> Failure.UNREACHABLE;
        };
        String hint = answer.status() == 403 ? " (the caller needs execute-api:Invoke on the API: attach the stack's"
                + " CiInvokePolicyArn output to the CI role)" : "";
        throw new MigrateException(kind, doing + ": " + message + hint);
    }

    private int print(JsonNode body, int exitCode) {
        Output output = new Output(cli.out, format.format);
        if (output.isJson()) {
            output.json(body);
        } else {
            List<String> lines = new ArrayList<>();
            lines.add("run " + body.path("runId").asText() + ": " + body.path("status").asText());
            JsonNode outcome = body.has("cause") ? body.get("cause") : body.path("output");
            if (body.has("error")) {
                lines.add("error: " + body.get("error").asText());
            }
            if (!outcome.isMissingNode()) {
                lines.add(outcome.isTextual() ? outcome.asText() : outcome.toPrettyString());
            }
            lines.forEach(cli.out::println);
            cli.out.flush();
        }
        return exitCode;
    }

    private Map<String, String> env() {
        if (variables == null) {
            variables = cli.environment(environment.name);
        }
        return variables;
    }

    private Map<String, String> variables;

    private void say(String line) {
        cli.err.println(line);
        cli.err.flush();
    }

    /** Keys in this command's environment, else wherever the AWS CLI would find them (profile, SSO, role). */
    private AwsCredentialsProvider credentials() {
        String key = blankToNull(env().get("AWS_ACCESS_KEY_ID"));
        String secret = blankToNull(env().get("AWS_SECRET_ACCESS_KEY"));
        if (key == null || secret == null) {
            return DefaultCredentialsProvider.builder().build();
        }
        String token = blankToNull(env().get("AWS_SESSION_TOKEN"));
        return StaticCredentialsProvider.create(token == null ? AwsBasicCredentials.create(key, secret)
                : AwsSessionCredentials.create(key, secret, token));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
