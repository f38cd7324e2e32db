package dev.cryoprotect.migrate.wiring;

import dev.cryoprotect.migrate.MigrateException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Every setting the core is wired from, whichever edge runs it. {@link #fromEnvironment} is the one place that reads
 * the environment variables; the CLI then applies its options on top, the Lambda handlers use it as it is. Secrets are
 * held as values or as Secrets Manager ARNs (fetched when first needed) and never appear in {@link #toString()}.
 * Values that cannot be right (a URL without scheme, a key with a pasted line ending) are refused here as BAD_INPUT
 * naming the variable; see {@link ConfigValues}.
 *
 * @param migrationsDir   the local folder of migration files, used when no bucket is set
 * @param databaseUrl     Supabase's PostgreSQL URL, or null (then the secret, else the local default where there is one)
 * @param convexUrl       the Convex deployment, or null (then the local backend where there is one)
 * @param draftsPrefix    where CreateMigration writes new templates in the bucket, apart from the live migrations
 * @param convexLease     how long the Convex run lock lasts unless renewed
 * @param secretsTtl      how long a secret's value is reused before it is read again (so a rotation takes effect)
 * @param inLambdaOutsideVpc running in AWS Lambda without a VPC: no IPv6, so Supabase's direct host is unreachable
 * @param universalStateMachineArn the universal state machine, for the functions that start and read its runs
 * @param environment     the selected environment's name (MIGRATE_ENV: development, staging, production...), or null
 * @param production      a production environment (named production or prod, or MIGRATE_PRODUCTION=true): rollback,
 *                        repair, baseline and a pruning sync then need confirmation
 * @param appliedBy       recorded with every history row
 */
public record Settings(Path migrationsDir, String migrationsBucket, String migrationsPrefix, String reportsPrefix,
                       String draftsPrefix, String databaseUrl, String databaseSecretArn, boolean useConvex,
                       String convexUrl, String convexDeployKey, String convexDeployKeySecretArn, String historySchema,
                       Duration lockTimeout, Duration convexLease, Duration secretsTtl, String awsEndpoint,
                       String region, boolean inLambdaOutsideVpc, String universalStateMachineArn,
                       String environment, boolean production, String appliedBy) {

    public static Settings fromEnvironment(Map<String, String> env) {
        return new Settings(
                env.get("MIGRATIONS_DIR") != null && !env.get("MIGRATIONS_DIR").isBlank()
                        ? path("MIGRATIONS_DIR", env.get("MIGRATIONS_DIR"))
                        : defaultMigrationsDir(),
                ConfigValues.token("MIGRATIONS_BUCKET", env.get("MIGRATIONS_BUCKET"), "an S3 bucket name", false),
                env.getOrDefault("MIGRATIONS_PREFIX", "migrations/"),
                env.getOrDefault("REPORTS_PREFIX", "migration_logs/"),
                env.getOrDefault("DRAFTS_PREFIX", "drafts/"),
                ConfigValues.databaseUrl("SUPABASE_DB_URL", env.get("SUPABASE_DB_URL")),
                ConfigValues.token("DATABASE_SECRET_ARN", env.get("DATABASE_SECRET_ARN"), ARN_FORM, false),
                !"false".equalsIgnoreCase(env.getOrDefault("USE_CONVEX", "true").strip()),
                ConfigValues.convexUrl("CONVEX_URL", env.get("CONVEX_URL")),
                ConfigValues.deployKey("CONVEX_DEPLOY_KEY", env.get("CONVEX_DEPLOY_KEY")),
                ConfigValues.token("CONVEX_DEPLOY_KEY_SECRET_ARN", env.get("CONVEX_DEPLOY_KEY_SECRET_ARN"), ARN_FORM,
                        false),
                env.getOrDefault("HISTORY_SCHEMA", "public").strip(),
                seconds(env, "LOCK_TIMEOUT_SECONDS", 30, 0),
                seconds(env, "CONVEX_LEASE_SECONDS", 15, 2),
                seconds(env, "SECRETS_TTL_SECONDS", 300, 0),
                ConfigValues.endpoint("AWS_ENDPOINT_URL", env.get("AWS_ENDPOINT_URL")),
                region(env),
                env.containsKey("AWS_EXECUTION_ENV") && !"true".equalsIgnoreCase(env.getOrDefault("LAMBDA_IN_VPC", "")
                        .strip()),
                ConfigValues.token("UNIVERSAL_STATE_MACHINE_ARN", env.get("UNIVERSAL_STATE_MACHINE_ARN"),
                        "the state machine's ARN", false),
                environmentName(env),
                isProduction(env),
                "migrate");
    }

    /** An explicit local folder (the CLI's --migrations): it replaces a bucket from the environment. */
    public Settings withMigrationsDir(Path dir) {
        return new Settings(dir, null, migrationsPrefix, reportsPrefix, draftsPrefix, databaseUrl, databaseSecretArn,
                useConvex, convexUrl, convexDeployKey, convexDeployKeySecretArn, historySchema, lockTimeout,
                convexLease, secretsTtl, awsEndpoint, region, inLambdaOutsideVpc,
                universalStateMachineArn, environment, production, appliedBy);
    }

    /** The --database-url option, checked as SUPABASE_DB_URL is. */
    public Settings withDatabaseUrl(String url) {
        return new Settings(migrationsDir, migrationsBucket, migrationsPrefix, reportsPrefix, draftsPrefix,
                ConfigValues.databaseUrl("--database-url", url), databaseSecretArn, useConvex, convexUrl,
                convexDeployKey, convexDeployKeySecretArn, historySchema, lockTimeout, convexLease, secretsTtl,
                awsEndpoint, region, inLambdaOutsideVpc,
                universalStateMachineArn, environment, production, appliedBy);
    }

    public Settings withHistorySchema(String schema) {
        return new Settings(migrationsDir, migrationsBucket, migrationsPrefix, reportsPrefix, draftsPrefix,
                databaseUrl, databaseSecretArn, useConvex, convexUrl, convexDeployKey, convexDeployKeySecretArn,
                schema, lockTimeout, convexLease, secretsTtl, awsEndpoint, region, inLambdaOutsideVpc,
                universalStateMachineArn, environment, production, appliedBy);
    }

    public Settings withLockTimeout(Duration timeout) {
        return new Settings(migrationsDir, migrationsBucket, migrationsPrefix, reportsPrefix, draftsPrefix,
                databaseUrl, databaseSecretArn, useConvex, convexUrl, convexDeployKey, convexDeployKeySecretArn,
                historySchema, timeout, convexLease, secretsTtl, awsEndpoint, region, inLambdaOutsideVpc,
                universalStateMachineArn, environment, production, appliedBy);
    }

    public Settings withAppliedBy(String who) {
        return new Settings(migrationsDir, migrationsBucket, migrationsPrefix, reportsPrefix, draftsPrefix,
                databaseUrl, databaseSecretArn, useConvex, convexUrl, convexDeployKey, convexDeployKeySecretArn,
                historySchema, lockTimeout, convexLease, secretsTtl, awsEndpoint, region, inLambdaOutsideVpc,
                universalStateMachineArn, environment, production, who);
    }

    private static String environmentName(Map<String, String> env) {
        String name = env.get("MIGRATE_ENV");
        return name == null || name.isBlank() ? null : name.strip();
    }

    /** Named production (or prod), or marked so by MIGRATE_PRODUCTION=true in its file or the environment. */
    private static boolean isProduction(Map<String, String> env) {
        String name = environmentName(env);
        String flag = env.getOrDefault("MIGRATE_PRODUCTION", "").strip();
        if (!flag.isEmpty() && !flag.equalsIgnoreCase("true") && !flag.equalsIgnoreCase("false")) {
            throw MigrateException.badInput("MIGRATE_PRODUCTION must be true or false, not '" + ConfigValues.masked(flag)
                    + "'");
        }
        return flag.equalsIgnoreCase("true") || name != null && (name.equalsIgnoreCase("production")
                || name.equalsIgnoreCase("prod"));
    }

    /** ./migrations, or a Supabase CLI project's supabase/migrations when only that one exists. */
    private static Path defaultMigrationsDir() {
        Path plain = Path.of("migrations");
        Path supabase = Path.of("supabase", "migrations");
        return !Files.isDirectory(plain) && Files.isDirectory(supabase) ? supabase : plain;
    }

    private static final String ARN_FORM = "an ARN such as arn:aws:secretsmanager:us-east-1:123456789012:secret:name";

    private static Path path(String name, String value) {
        try {
            return Path.of(value.strip());
        } catch (java.nio.file.InvalidPathException e) {
            throw MigrateException.badInput(name + " is not a usable path: " + e.getReason());
        }
    }

    /** AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1; checked, since the SDK would fail late and obscurely. */
    private static String region(Map<String, String> env) {
        String name = env.get("AWS_REGION") != null && !env.get("AWS_REGION").isBlank() ? "AWS_REGION"
                : "AWS_DEFAULT_REGION";
        String value = env.get(name) == null || env.get(name).isBlank() ? "us-east-1" : env.get(name).strip();
        if (!value.matches("[a-z]{2}(-[a-z0-9]+)+-[0-9]+|[a-z0-9-]{1,40}")) {
            throw MigrateException.badInput(name + " must be an AWS region such as us-east-1, not '"
                    + ConfigValues.masked(value) + "'");
        }
        return value;
    }

    /** The longest wait or lease a setting may ask for: a day (beyond it, a wait's arithmetic would overflow). */
    public static final long MAX_SECONDS = 86_400;

    private static Duration seconds(Map<String, String> env, String name, long fallback, long least) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return Duration.ofSeconds(fallback);
        }
        try {
            long seconds = Long.parseLong(value.strip());
            if (seconds < least || seconds > MAX_SECONDS) {
                throw new NumberFormatException();
            }
            return Duration.ofSeconds(seconds);
        } catch (NumberFormatException e) {
            throw MigrateException.badInput(name + " must be a whole number of seconds, at least " + least
                    + " and at most " + MAX_SECONDS + ", not '" + value + "'");
        }
    }

    @Override
    public String toString() {
        return "Settings[migrations=" + (migrationsBucket == null ? migrationsDir : "s3://" + migrationsBucket + "/"
                + migrationsPrefix) + ", database=" + (databaseSecretArn != null ? "secret " + databaseSecretArn
                : databaseUrl != null ? "url (hidden)" : "local") + ", convex=" + (!useConvex ? "disabled"
                : convexUrl == null ? "local" : convexUrl) + ", historySchema=" + historySchema + "]";
    }
}
