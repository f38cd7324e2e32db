package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.wiring.LocalDatabases;
import dev.cryoprotect.migrate.wiring.Settings;
import dev.cryoprotect.migrate.wiring.Wiring;

import java.util.Map;
import java.util.function.Consumer;

/**
 * What a Lambda container builds once and every invoke reuses: the wiring (AWS clients, secrets, the Convex HTTP
 * client, made on first use), the JSON log and the run reports. Database connections are opened per invoke: one kept
 * across a SnapStart snapshot or a long idle would be stale.
 */
public final class Container {
    private final Wiring wiring;
    private final JsonLog log;
    private final RunReports reports;

    /**
     * @param environment the function's environment variables
     * @param logLines    receives each JSON log line: stdout in Lambda (CloudWatch), stderr for {@code migrate invoke}
     */
    public Container(Map<String, String> environment, Consumer<String> logLines) {
        String function = environment.getOrDefault("AWS_LAMBDA_FUNCTION_NAME", "local");
        Settings settings = Settings.fromEnvironment(environment).withAppliedBy("lambda:" + function);
        this.log = new JsonLog(logLines, function, settings.environment());
        // A deployed function has no local databases: a missing setting is an error, not a fallback.
        this.wiring = new Wiring(settings, LocalDatabases.NONE, log::step, notice -> log.event("notice", "WARN", notice));
        this.reports = new RunReports(wiring, log);
    }

    /** The container's instance, built from the process environment (and the runtime settings) on first use. */
    static Container shared() {
        Priming.register();
        return Source.SHARED.current();
    }

    Wiring wiring() {
        return wiring;
    }

    JsonLog log() {
        return log;
    }

    RunReports reports() {
        return reports;
    }

    /**
     * Where a Lambda container gets its {@link Container}: built from the environment, and, when the stack sets
     * {@code RUNTIME_SETTINGS_SECRET_ARN}, from that secret's JSON over it. SAM publishes a new function version (the
     * {@code live} alias) only when the code or the literal environment changes, not when a parameter value does; the
     * parameters that may change between deploys (Convex URL, secret ARNs, USE_CONVEX...) therefore reach the functions
     * through that secret, read at the first invoke and again once {@code RUNTIME_SETTINGS_TTL_SECONDS} (default 60)
     * have passed; when it changed, the container is rebuilt with the new settings.
     */
    static final class Source {
        static final Source SHARED = new Source(System.getenv(), System.out::println);
        private static final java.util.Set<String> SETTABLE = java.util.Set.of("SUPABASE_DB_URL", "DATABASE_SECRET_ARN",
                "CONVEX_URL", "CONVEX_DEPLOY_KEY_SECRET_ARN", "USE_CONVEX", "LOCK_TIMEOUT_SECONDS", "CONVEX_LEASE_SECONDS",
                "SECRETS_TTL_SECONDS", "HISTORY_SCHEMA", "LAMBDA_IN_VPC", "MIGRATE_ENV");

        private final Map<String, String> environment;
        private final Consumer<String> logLines;
        private Container container;
        private String builtFrom;
        private long checkedAt;

        Source(Map<String, String> environment, Consumer<String> logLines) {
            this.environment = environment;
            this.logLines = logLines;
        }

        synchronized Container current() {
            String arn = environment.get("RUNTIME_SETTINGS_SECRET_ARN");
            if (arn == null || arn.isBlank()) {
                if (container == null) {
                    container = new Container(environment, logLines);
                }
                return container;
            }
            long ttl = java.time.Duration.ofSeconds(Long.parseLong(environment.getOrDefault(
                    "RUNTIME_SETTINGS_TTL_SECONDS", "60").strip())).toNanos();
            if (container != null && System.nanoTime() - checkedAt < ttl) {
                return container;
            }
            String json;
            try {
                json = container != null ? container.wiring().secretValue(arn)
                        : new Container(environment, line -> { }).wiring().secretValue(arn);
            } catch (dev.cryoprotect.migrate.MigrateException e) {
                if (container == null) {
                    throw e;
                }
                container.log().event("notice", "WARN", "cannot read the runtime settings (" + e.getMessage()
                        + "); keeping the ones read before");
                checkedAt = System.nanoTime();
                return container;
            }
            if (container == null || !json.equals(builtFrom)) {
                container = new Container(overlay(arn, json), logLines);
                builtFrom = json;
            }
            checkedAt = System.nanoTime();
            return container;
        }

        /** The environment with the secret's settings over it; only the settings a deploy may change. */
        private Map<String, String> overlay(String arn, String json) {
            Map<String, String> merged = new java.util.HashMap<>(environment);
            com.fasterxml.jackson.databind.JsonNode node;
            try {
                node = MigrationHandler.JSON.readTree(json);
            } catch (java.io.IOException e) {
                throw dev.cryoprotect.migrate.MigrateException.badInput("the runtime settings secret " + arn
                        + " is not a JSON object of settings");
            }
            if (node == null || !node.isObject()) {
                throw dev.cryoprotect.migrate.MigrateException.badInput("the runtime settings secret " + arn
                        + " is not a JSON object of settings");
            }
            for (var it = node.fields(); it.hasNext(); ) {
                var field = it.next();
                if (!SETTABLE.contains(field.getKey()) || !field.getValue().isValueNode()) {
                    throw dev.cryoprotect.migrate.MigrateException.badInput("the runtime settings secret " + arn
                            + " has '" + field.getKey() + "', which is not one of " + new java.util.TreeSet<>(SETTABLE));
                }
                String value = field.getValue().asText();
                if (value.isEmpty()) {
                    merged.remove(field.getKey()); // an empty stack parameter means unset
                } else {
                    merged.put(field.getKey(), value);
                }
            }
            return merged;
        }
    }
}
