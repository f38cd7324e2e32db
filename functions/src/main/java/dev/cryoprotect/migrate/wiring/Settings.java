package dev.cryoprotect.migrate.wiring;

import dev.cryoprotect.migrate.MigrateException;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Every setting the core is wired from, whichever edge runs it. {@link #fromEnvironment} is the one place that reads
 * the environment variables; the CLI then applies its options on top, the Lambda handlers use it as it is. Secrets are
 * held as values or as Secrets Manager ARNs (fetched when first needed) and never appear in {@link #toString()}.
 *
 * @param migrationsDir   the local folder of migration files, used when no bucket is set
 * @param databaseUrl     Supabase's PostgreSQL URL, or null (then the secret, else the local default where there is one)
 * @param convexUrl       the Convex deployment, or null (then the local backend where there is one)
 * @param convexLease     how long the Convex run lock lasts unless renewed
 * @param appliedBy       recorded with every history row
 */
public record Settings(Path migrationsDir, String migrationsBucket, String migrationsPrefix, String reportsPrefix,
                       String databaseUrl, String databaseSecretArn, boolean useConvex, String convexUrl,
                       String convexDeployKey, String convexDeployKeySecretArn, String historySchema,
                       Duration lockTimeout, Duration convexLease, String awsEndpoint, String region,
                       String appliedBy) {

    public static Settings fromEnvironment(Map<String, String> env) {
        return new Settings(
                env.containsKey("MIGRATIONS_DIR") ? Path.of(env.get("MIGRATIONS_DIR")) : defaultMigrationsDir(),
                blankToNull(env.get("MIGRATIONS_BUCKET")),
                env.getOrDefault("MIGRATIONS_PREFIX", "migrations/"),
                env.getOrDefault("REPORTS_PREFIX", "migration_logs/"),
                blankToNull(env.get("SUPABASE_DB_URL")),
                blankToNull(env.get("DATABASE_SECRET_ARN")),
                !"false".equalsIgnoreCase(env.getOrDefault("USE_CONVEX", "true").strip()),
                convexUrl(blankToNull(env.get("CONVEX_URL"))),
                blankToNull(env.get("CONVEX_DEPLOY_KEY")),
                blankToNull(env.get("CONVEX_DEPLOY_KEY_SECRET_ARN")),
                env.getOrDefault("HISTORY_SCHEMA", "public").strip(),
                seconds(env, "LOCK_TIMEOUT_SECONDS", 30, 0),
                seconds(env, "CONVEX_LEASE_SECONDS", 60, 1),
                blankToNull(env.get("AWS_ENDPOINT_URL")),
                env.getOrDefault("AWS_REGION", env.getOrDefault("AWS_DEFAULT_REGION", "us-east-1")),
                "migrate");
    }

    /** An explicit local folder (the CLI's --migrations): it replaces a bucket from the environment. */
    public Settings withMigrationsDir(Path dir) {
        return new Settings(dir, null, migrationsPrefix, reportsPrefix, databaseUrl, databaseSecretArn,
                useConvex, convexUrl, convexDeployKey, convexDeployKeySecretArn, historySchema, lockTimeout, convexLease,
                awsEndpoint, region, appliedBy);
    }

    public Settings withDatabaseUrl(String url) {
        return new Settings(migrationsDir, migrationsBucket, migrationsPrefix, reportsPrefix, blankToNull(url),
                databaseSecretArn, useConvex, convexUrl, convexDeployKey, convexDeployKeySecretArn, historySchema,
                lockTimeout, convexLease, awsEndpoint, region, appliedBy);
    }

    public Settings withHistorySchema(String schema) {
        return new Settings(migrationsDir, migrationsBucket, migrationsPrefix, reportsPrefix, databaseUrl,
                databaseSecretArn, useConvex, convexUrl, convexDeployKey, convexDeployKeySecretArn, schema, lockTimeout,
                convexLease, awsEndpoint, region, appliedBy);
    }

    public Settings withLockTimeout(Duration timeout) {
        return new Settings(migrationsDir, migrationsBucket, migrationsPrefix, reportsPrefix, databaseUrl,
                databaseSecretArn, useConvex, convexUrl, convexDeployKey, convexDeployKeySecretArn, historySchema,
                timeout, convexLease, awsEndpoint, region, appliedBy);
    }

    public Settings withAppliedBy(String who) {
        return new Settings(migrationsDir, migrationsBucket, migrationsPrefix, reportsPrefix, databaseUrl,
                databaseSecretArn, useConvex, convexUrl, convexDeployKey, convexDeployKeySecretArn, historySchema,
                lockTimeout, convexLease, awsEndpoint, region, who);
    }

    /** ./migrations, or a Supabase CLI project's supabase/migrations when only that one exists. */
    private static Path defaultMigrationsDir() {
        Path plain = Path.of("migrations");
        Path supabase = Path.of("supabase", "migrations");
        return !Files.isDirectory(plain) && Files.isDirectory(supabase) ? supabase : plain;
    }

    /** The Convex URL checked for a scheme and host; credentials inside it are never echoed. */
    private static String convexUrl(String url) {
        if (url == null) {
            return null;
        }
        String shown = url.replaceFirst("//[^/@]*@", "//***@");
        try {
            URI uri = new URI(url);
            if ((!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme()))
                    || uri.getHost() == null) {
                throw badConvexUrl(shown);
            }
            if (uri.getRawUserInfo() != null) {
                throw MigrateException.badInput("CONVEX_URL must not carry credentials (" + shown + "); put the deploy"
                        + " key in CONVEX_DEPLOY_KEY");
            }
        } catch (java.net.URISyntaxException e) {
            throw badConvexUrl(shown);
        }
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    private static MigrateException badConvexUrl(String shown) {
        return MigrateException.badInput("CONVEX_URL must be the deployment's URL, such as"
                + " https://happy-otter-123.convex.cloud, not '" + shown + "'");
    }

    private static Duration seconds(Map<String, String> env, String name, long fallback, long least) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return Duration.ofSeconds(fallback);
        }
        try {
            long seconds = Long.parseLong(value.strip());
            if (seconds < least) {
                throw new NumberFormatException();
            }
            return Duration.ofSeconds(seconds);
        } catch (NumberFormatException e) {
            throw MigrateException.badInput(name + " must be a whole number of seconds, at least " + least + ", not '"
                    + value + "'");
        }
    }

    /** Blank means unset; surrounding white space (a pasted key's trailing newline or carriage return) is dropped. */
    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    @Override
    public String toString() {
        return "Settings[migrations=" + (migrationsBucket == null ? migrationsDir : "s3://" + migrationsBucket + "/"
                + migrationsPrefix) + ", database=" + (databaseSecretArn != null ? "secret " + databaseSecretArn
                : databaseUrl != null ? "url (hidden)" : "local") + ", convex=" + (!useConvex ? "disabled"
                : convexUrl == null ? "local" : convexUrl) + ", historySchema=" + historySchema + "]";
    }
}
