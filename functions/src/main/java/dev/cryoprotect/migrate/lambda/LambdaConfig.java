package dev.cryoprotect.migrate.lambda;

import dev.cryoprotect.migrate.MigrateException;

import java.util.Map;

/**
 * The functions' settings, read from environment variables once per container. Secrets arrive as Secrets Manager
 * ARNs (or, locally, as plain values) and are never part of {@link #toString()}.
 */
public record LambdaConfig(String migrationsBucket, String migrationsPrefix, String migrationsDir, String reportsPrefix,
                           String databaseUrl, String databaseSecretArn, String convexUrl, String convexDeployKey,
                           String convexDeployKeySecretArn, boolean useConvex, String historySchema,
                           long lockTimeoutSeconds, String awsEndpoint, String region, String functionName) {

    public static LambdaConfig from(Map<String, String> env) {
        return new LambdaConfig(
                blankToNull(env.get("MIGRATIONS_BUCKET")),
                env.getOrDefault("MIGRATIONS_PREFIX", "migrations/"),
                env.getOrDefault("MIGRATIONS_DIR", "migrations"),
                env.getOrDefault("REPORTS_PREFIX", "migration_logs/"),
                blankToNull(env.get("SUPABASE_DB_URL")),
                blankToNull(env.get("DATABASE_SECRET_ARN")),
                blankToNull(env.get("CONVEX_URL")),
                blankToNull(env.get("CONVEX_DEPLOY_KEY")),
                blankToNull(env.get("CONVEX_DEPLOY_KEY_SECRET_ARN")),
                !"false".equalsIgnoreCase(env.getOrDefault("USE_CONVEX", "true").strip()),
                env.getOrDefault("HISTORY_SCHEMA", "public"),
                parseSeconds(env.getOrDefault("LOCK_TIMEOUT_SECONDS", "30")),
                blankToNull(env.get("AWS_ENDPOINT_URL")),
                env.getOrDefault("AWS_REGION", env.getOrDefault("AWS_DEFAULT_REGION", "us-east-1")),
                env.getOrDefault("AWS_LAMBDA_FUNCTION_NAME", "local"));
    }

    private static long parseSeconds(String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw MigrateException.badInput("LOCK_TIMEOUT_SECONDS must be a number of seconds, not '" + value + "'");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    @Override
    public String toString() {
        return "LambdaConfig[migrations=" + (migrationsBucket == null ? migrationsDir : "s3://" + migrationsBucket + "/"
                + migrationsPrefix) + ", convex=" + (useConvex ? convexUrl : "disabled") + ", historySchema="
                + historySchema + "]";
    }
}
