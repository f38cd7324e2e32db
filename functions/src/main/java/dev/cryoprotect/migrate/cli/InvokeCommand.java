package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.wiring.LocalDatabases;
import dev.cryoprotect.migrate.wiring.LocalFunctions;
import dev.cryoprotect.migrate.wiring.Settings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "invoke", description = "Run a Lambda handler here with an event file, as 'sam local invoke' would"
        + " (without Docker): against SUPABASE_DB_URL or the local PostgreSQL, CONVEX_URL or the local Convex"
        + " backend, and MIGRATIONS_BUCKET (with AWS_ENDPOINT_URL for a local S3) or --migrations. Prints the"
        + " handler's response, or Lambda's error payload {errorType, errorMessage}; logs go to stderr.")
final class InvokeCommand implements Callable<Integer> {
    @ParentCommand
    MigrateCli cli;
    @Mixin
    Options.Files files;
    @Mixin
    Options.Database db;
    @Mixin
    Options.Env environment;
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;
    @Parameters(index = "0", paramLabel = "FUNCTION",
            description = "MigrationStatus, ApplyMigrations, RollbackMigrations, CreateMigration or SyncData.")
    String function;
    @Option(names = {"-e", "--event"}, paramLabel = "FILE", required = true,
            description = "The event JSON (see events/); '-' reads it from standard input.")
    String event;
    @Option(names = "--env-vars", paramLabel = "FILE",
            description = "A `sam local invoke --env-vars` file (such as events/env-vars.json): its Parameters and this"
                    + " function's section set the function's environment, with host.docker.internal meaning this"
                    + " machine and /var/task/migrations the migrations folder, as they would inside the container.")
    Path envVars;

    @Override
    public Integer call() throws IOException {
        LocalFunctions functions = cli.functions;
        if (!functions.names().contains(function)) {
            throw MigrateException.badInput("unknown function '" + function + "' (expected one of "
                    + String.join(", ", functions.names()) + ")");
        }
        byte[] payload;
        try {
            payload = event.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(event));
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw MigrateException.badInput("cannot read the event file " + event + ": " + (e instanceof
                    java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
        }
        LocalFunctions.Response response = functions.invoke(function, payload, environment(), line -> {
            cli.err.println(line);
            cli.err.flush();
        });
        cli.out.println(response.json());
        cli.out.flush();
        return response.exitCode();
    }

    /**
     * The function's environment: this process's, with this command's options, and the local databases filling in
     * what is not configured (a deployed function gets these from template.yaml and Secrets Manager).
     */
    private Map<String, String> environment() {
        Map<String, String> env = new HashMap<>(cli.environment(environment.name));
        if (envVars != null) {
            env.putAll(SamEnvVars.read(envVars, function));
        }
        Settings settings = db.applyTo(files.applyTo(Settings.fromEnvironment(env)));
        CliLocalDatabases local = db.localDatabases(env);
        if (db.databaseUrl != null) {
            env.put("SUPABASE_DB_URL", db.databaseUrl);
        } else if (settings.databaseUrl() == null && settings.databaseSecretArn() == null) {
            local.postgresUrl().ifPresent(url -> env.put("SUPABASE_DB_URL", url));
        }
        if (settings.useConvex() && settings.convexUrl() == null) {
            local.convex().ifPresent((LocalDatabases.ConvexEndpoint endpoint) -> {
                env.put("CONVEX_URL", endpoint.url());
                env.put("CONVEX_DEPLOY_KEY", endpoint.deployKey());
            });
        }
        if (settings.migrationsBucket() == null) {
            env.put("MIGRATIONS_DIR", settings.migrationsDir().toString());
        }
        env.put("HISTORY_SCHEMA", settings.historySchema());
        env.put("LOCK_TIMEOUT_SECONDS", String.valueOf(settings.lockTimeout().toSeconds()));
        return env;
    }
}
