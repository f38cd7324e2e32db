package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.Orchestrator;
import dev.cryoprotect.migrate.source.DirectorySource;
import dev.cryoprotect.migrate.source.MigrationSource;
import dev.cryoprotect.migrate.source.S3Source;
import dev.cryoprotect.migrate.target.DatabaseTarget;
import dev.cryoprotect.migrate.target.convex.ConvexClient;
import dev.cryoprotect.migrate.target.convex.ConvexTarget;
import dev.cryoprotect.migrate.target.postgres.PostgresConfig;
import dev.cryoprotect.migrate.target.postgres.PostgresTarget;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a Lambda container builds once and every invoke reuses: the AWS clients (URL-connection HTTP client), the
 * secrets (fetched on first use, then cached), the Convex HTTP client, the log. Database connections are opened per
 * invoke: a connection kept across a SnapStart snapshot or a long idle would be stale.
 */
public final class Services {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static volatile Services shared;

    private final LambdaConfig config;
    private final JsonLog log;
    private final S3Client s3;
    private SecretsManagerClient secretsClient;
    private String databaseUrl;
    private ConvexClient convexClient;
    private boolean convexResolved;

    public Services(LambdaConfig config, JsonLog log) {
        this.config = config;
        this.log = log;
        this.s3 = config.migrationsBucket() == null ? null : configure(S3Client.builder()
                .forcePathStyle(config.awsEndpoint() != null)).build();
    }

    /** The container's instance, built from the environment on first use. */
    public static Services shared() {
        if (shared == null) {
            synchronized (Services.class) {
                if (shared == null) {
                    LambdaConfig config = LambdaConfig.from(System.getenv());
                    shared = new Services(config, new JsonLog(System.out::println, config.functionName()));
                    Priming.register();
                }
            }
        }
        return shared;
    }

    private <B extends software.amazon.awssdk.awscore.client.builder.AwsClientBuilder<B, ?>
            & software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder<B, ?>> B configure(B builder) {
        builder.httpClientBuilder(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(5))
                        .socketTimeout(Duration.ofSeconds(30)))
                .region(Region.of(config.region()))
                .credentialsProvider(credentials());
        if (config.awsEndpoint() != null) {
            builder.endpointOverride(URI.create(config.awsEndpoint()));
        }
        return builder;
    }

    private AwsCredentialsProvider credentials() {
        if (config.awsEndpoint() != null && System.getenv("AWS_ACCESS_KEY_ID") == null) {
            return StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")); // a local endpoint
        }
        return DefaultCredentialsProvider.builder().build();
    }

    public LambdaConfig config() {
        return config;
    }

    public JsonLog log() {
        return log;
    }

    /** s3://$MIGRATIONS_BUCKET/$MIGRATIONS_PREFIX, or the local $MIGRATIONS_DIR when no bucket is set. */
    public MigrationSource source() {
        return s3 == null ? new DirectorySource(Path.of(config.migrationsDir()))
                : new S3Source(s3, config.migrationsBucket(), config.migrationsPrefix());
    }

    /** The selected databases for one invoke (Supabase first); the caller closes them. */
    public List<DatabaseTarget> targets(String database) {
        String which = database.toLowerCase(Locale.ROOT);
        if (!List.of("all", "supabase", "convex").contains(which)) {
            throw MigrateException.badInput("database must be supabase, convex or all, not '" + database + "'");
        }
        List<DatabaseTarget> targets = new ArrayList<>();
        if (!which.equals("convex")) {
            targets.add(new PostgresTarget(postgres()));
        }
        if (!which.equals("supabase")) {
            ConvexClient client = convex();
            if (client == null && which.equals("convex")) {
                throw MigrateException.badInput("database convex, but Convex is "
                        + (config.useConvex() ? "not configured (set CONVEX_URL)" : "disabled (USE_CONVEX=false)"));
            }
            if (client != null) {
                targets.add(new ConvexTarget(client, ConvexTarget.Options.defaults()));
            }
        }
        return targets;
    }

    /** Runs {@code action} with an orchestrator over the selected databases, closing their connections after. */
    public <T> T withOrchestrator(String database, boolean outOfOrder, java.util.function.Function<Orchestrator, T> action) {
        List<DatabaseTarget> targets = targets(database);
        try {
            return action.apply(new Orchestrator(targets, new Orchestrator.Settings(source(),
                    Duration.ofSeconds(config.lockTimeoutSeconds()), outOfOrder, "lambda:" + config.functionName(),
                    log::step)));
        } finally {
            targets.forEach(DatabaseTarget::close);
        }
    }

    /** The Supabase database, from the secret or SUPABASE_DB_URL. */
    public PostgresConfig postgres() {
        return PostgresConfig.fromUrl(databaseUrl(), config.historySchema());
    }

    /** The Convex client, or null when Convex is disabled or not configured. */
    public ConvexClient convexClient() {
        return convex();
    }

    private synchronized String databaseUrl() {
        if (databaseUrl == null) {
            if (config.databaseSecretArn() != null) {
                databaseUrl = databaseUrlFromSecret(secret(config.databaseSecretArn()));
            } else if (config.databaseUrl() != null) {
                databaseUrl = config.databaseUrl();
            } else {
                throw MigrateException.badInput("no database configured: set DATABASE_SECRET_ARN (or SUPABASE_DB_URL)");
            }
        }
        return databaseUrl;
    }

    private synchronized ConvexClient convex() {
        if (!convexResolved) {
            convexResolved = true;
            if (config.useConvex() && config.convexUrl() != null) {
                String key = config.convexDeployKeySecretArn() != null
                        ? deployKeyFromSecret(secret(config.convexDeployKeySecretArn())) : config.convexDeployKey();
                convexClient = new ConvexClient(config.convexUrl(), key);
            }
        }
        return convexClient;
    }

    private String secret(String arn) {
        if (secretsClient == null) {
            secretsClient = configure(SecretsManagerClient.builder()).build();
        }
        try {
            return secretsClient.getSecretValue(b -> b.secretId(arn)).secretString();
        } catch (SdkException e) {
            // The SDK's message names the secret, never its value.
            throw new MigrateException(Failure.UNREACHABLE, "cannot read secret " + arn + ": " + e.getMessage(), e);
        }
    }

    /** A URL as plain text, {"url": ...}, or the RDS-style {"username","password","host","port","dbname"}. */
    static String databaseUrlFromSecret(String value) {
        String text = value == null ? "" : value.strip();
        if (!text.startsWith("{")) {
            return text;
        }
        try {
            JsonNode json = JSON.readTree(text);
            for (String field : List.of("url", "uri", "connectionString", "SUPABASE_DB_URL")) {
                if (json.hasNonNull(field)) {
                    return json.get(field).asText();
                }
            }
            if (json.hasNonNull("host") && json.hasNonNull("username")) {
                return "postgresql://" + enc(json.get("username").asText())
                        + (json.hasNonNull("password") ? ":" + enc(json.get("password").asText()) : "") + "@"
                        + json.get("host").asText() + ":" + json.path("port").asText("5432") + "/"
                        + json.path("dbname").asText("postgres");
            }
        } catch (IOException e) {
            throw MigrateException.badInput("the database secret is neither a URL nor valid JSON");
        }
        throw MigrateException.badInput("the database secret's JSON has no url, nor host and username");
    }

    /** A key as plain text, or {"deployKey": ...} / {"CONVEX_DEPLOY_KEY": ...}. */
    static String deployKeyFromSecret(String value) {
        String text = value == null ? "" : value.strip();
        if (!text.startsWith("{")) {
            return text;
        }
        try {
            JsonNode json = JSON.readTree(text);
            for (String field : List.of("deployKey", "CONVEX_DEPLOY_KEY", "key")) {
                if (json.hasNonNull(field)) {
                    return json.get(field).asText();
                }
            }
        } catch (IOException e) {
            throw MigrateException.badInput("the Convex deploy key secret is neither a key nor valid JSON");
        }
        throw MigrateException.badInput("the Convex deploy key secret's JSON has no deployKey field");
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Writes the run report to s3://$MIGRATIONS_BUCKET/$REPORTS_PREFIX/yyyy/mm/dd/{runId}.json, as the seed's
     * migration_logs directory; returns its address, or null without a bucket.
     */
    public String writeReport(String runId, Object report) {
        if (s3 == null) {
            return null;
        }
        String prefix = config.reportsPrefix().endsWith("/") ? config.reportsPrefix() : config.reportsPrefix() + "/";
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        String key = String.format(Locale.ROOT, "%s%04d/%02d/%02d/%s.json", prefix, today.getYear(),
                today.getMonthValue(), today.getDayOfMonth(), runId);
        try {
            byte[] body = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(report);
            s3.putObject(b -> b.bucket(config.migrationsBucket()).key(key).contentType("application/json"),
                    RequestBody.fromBytes(body));
            return "s3://" + config.migrationsBucket() + "/" + key;
        } catch (IOException | SdkException e) {
            log.event("report_not_written", "WARN", "could not write the run report to s3://"
                    + config.migrationsBucket() + "/" + key + ": " + e.getMessage());
            return null;
        }
    }
}
