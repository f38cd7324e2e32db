package dev.cryoprotect.migrate.wiring;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.Orchestrator;
import dev.cryoprotect.migrate.convex.ConvexClient;
import dev.cryoprotect.migrate.database.DatabaseTarget;
import dev.cryoprotect.migrate.database.convex.ConvexSchemaRenderer;
import dev.cryoprotect.migrate.database.convex.ConvexTarget;
import dev.cryoprotect.migrate.database.postgres.PostgresConfig;
import dev.cryoprotect.migrate.database.postgres.PostgresTarget;
import dev.cryoprotect.migrate.model.MigrationSet;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.report.StatusTable;
import dev.cryoprotect.migrate.report.StepEvent;
import dev.cryoprotect.migrate.report.SyncRejection;
import dev.cryoprotect.migrate.report.SyncSummary;
import dev.cryoprotect.migrate.report.UniversalPlan;
import dev.cryoprotect.migrate.report.UniversalResult;
import dev.cryoprotect.migrate.source.DirectorySource;
import dev.cryoprotect.migrate.source.MigrationLoader;
import dev.cryoprotect.migrate.source.MigrationScaffold;
import dev.cryoprotect.migrate.source.MigrationSource;
import dev.cryoprotect.migrate.source.S3Source;
import dev.cryoprotect.migrate.sync.ConvexSyncSink;
import dev.cryoprotect.migrate.sync.PostgresTableReader;
import dev.cryoprotect.migrate.sync.SyncEngine;
import dev.cryoprotect.migrate.sync.SyncOptions;
import dev.cryoprotect.migrate.sync.SyncSink;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The composition root: builds the migration source, the database targets, the orchestrator and the sync from one
 * {@link Settings}, and runs the verbs both edges offer. The CLI and the Lambda handlers only map their input into
 * settings and a request, and render the {@link Outcome}; nothing here knows which edge called.
 *
 * <p>Built once per process (a Lambda container keeps it across invokes): AWS clients and the Convex HTTP client are
 * made on first use and kept, secrets are fetched once; database connections are opened per call and closed after.
 */
public final class Wiring {
    private final Settings settings;
    private final LocalDatabases local;
    private final Consumer<StepEvent> steps;
    private final Consumer<String> notices;
    private final AwsClients aws;
    private S3Client s3;
    private SecretsManagerClient secrets;
    private final S3Source.FileCache files = new S3Source.FileCache(64L << 20);
    private String databaseUrl;
    private long databaseUrlReadAt;
    private boolean embedded;
    private Optional<ConvexClient> convex;
    private long convexReadAt;
    private UniversalRuns runs;

    /**
     * @param local   what to fall back on when no database is configured ({@link LocalDatabases#NONE} in Lambda)
     * @param steps   told of every finished migration step (the structured log)
     * @param notices told one-line notices for people, such as "running on Supabase only"
     */
    public Wiring(Settings settings, LocalDatabases local, Consumer<StepEvent> steps, Consumer<String> notices) {
        this.settings = settings;
        this.local = local;
        this.steps = steps;
        java.util.Set<String> said = java.util.concurrent.ConcurrentHashMap.newKeySet();
        this.notices = notice -> {
            if (said.add(notice)) { // files load once per database and verb; say each thing once
                notices.accept(notice);
            }
        };
        this.aws = new AwsClients(settings);
    }

    public Settings settings() {
        return settings;
    }

    // ---- the verbs ---------------------------------------------------------------------------------------------

    /** Every selected database side by side; with {@code convexSchema}, also whether that schema.ts is up to date. */
    public Outcome<StatusTable> status(DatabaseSelection databases, Path convexSchema) {
        StatusTable table = withOrchestrator(databases, false, Orchestrator::status);
        if (convexSchema != null) {
            Optional<String> drift = ConvexSchemaRenderer.drift(loadMigrations(), convexSchema);
            table = StatusTable.of(List.copyOf(table.databases().values()), table.errors(),
                    new StatusTable.SchemaCheck(convexSchema.toString(), drift.isEmpty(), drift.orElse(null)));
        }
        return Outcome.status(table);
    }

    /**
     * @param resume first finish what an interrupted run left (a PARTIAL apply, a ROLLING_BACK rollback)
     * @param runId  the id to record with the history rows (a universal run's), or null for a new one
     */
    public Outcome<List<RunResult>> apply(DatabaseSelection databases, Version target, boolean dryRun, boolean outOfOrder,
                                          boolean resume, String runId) {
        return Outcome.runs(withOrchestrator(databases, outOfOrder, runId, o -> o.apply(target, dryRun, resume)));
    }

    /** Undoes what run {@code runId} applied, Convex first: a universal run's compensation. */
    public Outcome<List<RunResult>> undoRun(DatabaseSelection databases, String runId, boolean compact) {
        return Outcome.compensation(withOrchestrator(databases, false, o -> o.compensate(runId)), compact);
    }

    /** The pinned target and where each database is: a universal run's first step. */
    public Outcome<UniversalPlan> plan(DatabaseSelection databases, Version target) {
        return Outcome.ok(withOrchestrator(databases, false, o -> o.plan(target)));
    }

    /** @param resume first finish an interrupted rollback, or undo an apply that stopped part way */
    public Outcome<List<RunResult>> rollback(DatabaseSelection databases, Version target, boolean dryRun, boolean resume) {
        return Outcome.runs(withOrchestrator(databases, false, o -> o.rollback(target, dryRun, resume)));
    }

    /** What a rollback would do, per database, without running it. */
    public List<String> rollbackPlan(DatabaseSelection databases, Version target, boolean resume) {
        return withOrchestrator(databases, false, o -> o.rollbackPlan(target, resume));
    }

    public Outcome<List<RunResult>> repair(DatabaseSelection databases) {
        return Outcome.runs(withOrchestrator(databases, false, Orchestrator::repair));
    }

    public Outcome<List<RunResult>> baseline(DatabaseSelection databases, Version version) {
        return Outcome.runs(withOrchestrator(databases, false, o -> o.baseline(version)));
    }

    /** Adopts the versions only the Supabase CLI's history records ({@code baseline --from-supabase-cli}). */
    public Outcome<List<RunResult>> adoptSupabaseCliHistory(DatabaseSelection databases) {
        return Outcome.runs(withOrchestrator(databases, false, Orchestrator::adoptForeignHistory));
    }

    public Outcome<UniversalResult> universal(DatabaseSelection databases, Version target, boolean dryRun) {
        return Outcome.universal(withOrchestrator(databases, false, o -> o.universal(target, dryRun)));
    }

    /**
     * The next version's template files, never over an existing file: into the migrations folder (the CLI, where apply
     * refuses a file still as written), or, with a bucket, into its drafts prefix, so a blank template never sits
     * among the live migrations that scheduled and CI runs apply.
     */
    public Outcome<Map<String, Object>> create(String name, MigrationScaffold.Kind kind) {
        MigrationSource live = source();
        if (settings.migrationsBucket() == null) {
            List<String> created = MigrationScaffold.create(live, name, kind, Clock.systemUTC());
            return Outcome.ok(Map.of("created", created, "directory", live.describe()));
        }
        MigrationSource drafts = new S3Source(s3(), settings.migrationsBucket(), settings.draftsPrefix());
        List<String> created = MigrationScaffold.createDraft(live, drafts, name, kind, Clock.systemUTC());
        return Outcome.ok(Map.of("created", created, "directory", drafts.describe(), "next", "edit the files, then"
                + " move them to " + live.describe() + " (for example aws s3 mv) to have them applied"));
    }

    /** Copies Supabase rows to Convex; a dry run needs no Convex deployment. */
    public Outcome<SyncSummary> sync(SyncOptions options, SyncEngine.Progress progress) {
        Optional<ConvexClient> client = convex(!options.dryRun());
        PostgresConfig config = postgres();
        SupabaseHosts.check(config, settings.inLambdaOutsideVpc(), false);
        try (PostgresTableReader reader = new PostgresTableReader(config, options)) {
            return Outcome.sync(new SyncEngine(reader, client.map(ConvexSyncSink::new).orElse(null), loadMigrations(),
                    options, progress).run());
        }
    }

    /** A fan-out's plan: the one table cut into key ranges, and its cursor position now. */
    public Outcome<SyncEngine.RangePlan> planSyncRanges(SyncOptions options, int parts, String idPrefix) {
        if (options.tables().size() != 1) {
            throw MigrateException.badInput("a fan-out (ranges) syncs exactly one table; give it in tables");
        }
        return Outcome.ok(withSyncEngine(options, engine -> engine.planRanges(options.tables().get(0), parts, idPrefix)));
    }

    /** The end of a fan-out: the table's high-water mark set to the plan's, and what changed meanwhile synced. */
    public Outcome<SyncSummary> finishSyncRanges(SyncOptions options, List<String> mark) {
        if (options.tables().size() != 1) {
            throw MigrateException.badInput("finishing a fan-out needs its one table in tables");
        }
        return Outcome.sync(withSyncEngine(options, engine -> engine.finishRanges(options.tables().get(0), mark)));
    }

    private <T> T withSyncEngine(SyncOptions options, Function<SyncEngine, T> action) {
        PostgresConfig config = postgres();
        SupabaseHosts.check(config, settings.inLambdaOutsideVpc(), false);
        try (PostgresTableReader reader = new PostgresTableReader(config, options)) {
            return action.apply(new SyncEngine(reader, new ConvexSyncSink(convex(true).orElseThrow()), loadMigrations(),
                    options, SyncEngine.Progress.NONE));
        }
    }

    /** Per table, the Convex documents a pruning sync would delete now; deletes nothing. */
    public Map<String, Long> prunePlan(SyncOptions options) {
        return withSyncEngine(options.withDryRun(false), SyncEngine::prunable);
    }

    /** The rows kept as rejected by earlier syncs, of these tables (all when empty). */
    public Outcome<List<SyncRejection>> syncRejections(List<String> tables) {
        ConvexSyncSink sink = new ConvexSyncSink(convex(true).orElseThrow());
        List<SyncRejection> all = new ArrayList<>();
        for (String table : tables.isEmpty() ? sink.rejectedTables() : tables) {
            String after = "";
            while (true) {
                List<SyncSink.Rejection> page = sink.rejections(table, after, 500);
                if (page.isEmpty()) {
                    break;
                }
                page.forEach(r -> all.add(new SyncRejection(table, r.key(), r.reason(),
                        java.time.Instant.ofEpochMilli(r.firstSeen()).toString(),
                        java.time.Instant.ofEpochMilli(r.lastSeen()).toString())));
                after = page.get(page.size() - 1).key();
            }
        }
        return Outcome.ok(all);
    }

    /** Runs {@code action} with an orchestrator over the selected databases, closing their connections after. */
    public <T> T withOrchestrator(DatabaseSelection databases, boolean outOfOrder, Function<Orchestrator, T> action) {
        return withOrchestrator(databases, outOfOrder, null, action);
    }

    private <T> T withOrchestrator(DatabaseSelection databases, boolean outOfOrder, String runId,
                                   Function<Orchestrator, T> action) {
        List<DatabaseTarget> targets = targets(databases);
        try {
            return action.apply(new Orchestrator(targets, new Orchestrator.Settings(source(), settings.lockTimeout(),
                    outOfOrder, settings.appliedBy(), steps, notices, runId)));
        } finally {
            targets.forEach(DatabaseTarget::close);
        }
    }

    // ---- the parts ---------------------------------------------------------------------------------------------

    /** The migration files, loaded and checked; what loading noticed goes to the notices. */
    public MigrationSet loadMigrations() {
        MigrationSet set = MigrationLoader.load(source());
        set.warnings().forEach(notices);
        return set;
    }

    /** s3://bucket/prefix when a bucket is set, else the local folder. */
    public MigrationSource source() {
        return settings.migrationsBucket() == null ? new DirectorySource(settings.migrationsDir())
                : new S3Source(s3(), settings.migrationsBucket(), settings.migrationsPrefix(), files);
    }

    /** The S3 client, when a bucket is set (run reports go there too). */
    public synchronized Optional<S3Client> s3Client() {
        return settings.migrationsBucket() == null ? Optional.empty() : Optional.of(s3());
    }

    private synchronized S3Client s3() {
        if (s3 == null) {
            s3 = aws.s3();
        }
        return s3;
    }

    /** The selected databases' targets, Supabase first. The caller closes them. */
    public List<DatabaseTarget> targets(DatabaseSelection databases) {
        List<DatabaseTarget> targets = new ArrayList<>();
        if (databases.includesSupabase()) {
            PostgresConfig config = postgres();
            SupabaseHosts.check(config, settings.inLambdaOutsideVpc(), true);
            targets.add(new PostgresTarget(config));
        }
        if (databases.includesConvex()) {
            convex(databases == DatabaseSelection.CONVEX).ifPresent(client -> targets.add(new ConvexTarget(client,
                    ConvexTarget.Options.defaults().withLease(settings.convexLease()))));
        }
        return targets;
    }

    /** Supabase: the URL, else the secret, else the local database; without any, bad input. */
    public PostgresConfig postgres() {
        PostgresConfig config = PostgresConfig.fromUrl(databaseUrl(), settings.historySchema());
        return embedded ? config.asEmbedded() : config;
    }

    /** The URL; one from a secret is read again once {@code secretsTtl} has passed, so a rotated password is picked up. */
    private synchronized String databaseUrl() {
        boolean fromSecret = settings.databaseUrl() == null && settings.databaseSecretArn() != null;
        if (databaseUrl == null || fromSecret && expired(databaseUrlReadAt)) {
            if (settings.databaseUrl() != null) {
                databaseUrl = settings.databaseUrl();
            } else if (settings.databaseSecretArn() != null) {
                databaseUrl = SecretValues.databaseUrl(secret(settings.databaseSecretArn()));
                databaseUrlReadAt = System.nanoTime();
            } else {
                databaseUrl = local.postgresUrl().orElseThrow(() -> MigrateException.badInput(
                        "no database configured: set SUPABASE_DB_URL (or DATABASE_SECRET_ARN)"));
                embedded = true;
            }
        }
        return databaseUrl;
    }

    /**
     * The Convex client: CONVEX_URL with its deploy key, else the local backend; none when USE_CONVEX=false, or when
     * neither is there (then a notice says so, or, when {@code required}, an error).
     */
    public synchronized Optional<ConvexClient> convex(boolean required) {
        if (!settings.useConvex()) {
            if (required) {
                throw MigrateException.badInput("Convex is disabled (USE_CONVEX=false) but this command needs it");
            }
            return Optional.empty();
        }
        boolean keyFromSecret = settings.convexUrl() != null && settings.convexDeployKeySecretArn() != null;
        if (convex == null || convex.isEmpty() && required || keyFromSecret && expired(convexReadAt)) {
            convex = resolveConvex(required);
            convexReadAt = System.nanoTime();
        }
        return convex;
    }

    private boolean expired(long readAtNanos) {
        return System.nanoTime() - readAtNanos >= settings.secretsTtl().toNanos();
    }

    private Optional<ConvexClient> resolveConvex(boolean required) {
        if (settings.convexUrl() != null) {
            String key = settings.convexDeployKeySecretArn() != null
                    ? SecretValues.deployKey(secret(settings.convexDeployKeySecretArn())) : settings.convexDeployKey();
            if (key == null || key.isBlank()) {
                // The framework's functions are internal: without the key Convex answers "could not find function".
                throw MigrateException.badInput("CONVEX_URL is set (" + settings.convexUrl() + ") but no deploy key:"
                        + " set CONVEX_DEPLOY_KEY (or CONVEX_DEPLOY_KEY_SECRET_ARN); the migration functions are"
                        + " internal and only a deploy key may call them");
            }
            return Optional.of(new ConvexClient(settings.convexUrl(), key));
        }
        Optional<LocalDatabases.ConvexEndpoint> endpoint = local.convex();
        if (endpoint.isPresent()) {
            return Optional.of(new ConvexClient(endpoint.get().url(), endpoint.get().deployKey()));
        }
        if (required) {
            throw new MigrateException(Failure.UNREACHABLE, "Convex is needed but " + local.whyNoConvex());
        }
        notices.accept(local.whyNoConvex() + "; running on Supabase only (set USE_CONVEX=false to silence this)");
        return Optional.empty();
    }

    /** The universal state machine's runs, as the API starts and reads them. */
    public synchronized UniversalRuns universalRuns() {
        if (runs == null) {
            runs = new UniversalRuns(aws.stepFunctions(), settings.universalStateMachineArn());
        }
        return runs;
    }

    /** A secret's text (for the functions' runtime settings); errors name the secret, never its value. */
    public String secretValue(String arn) {
        return secret(arn);
    }

    private String secret(String arn) {
        synchronized (this) {
            if (secrets == null) {
                secrets = aws.secretsManager();
            }
        }
        try {
            return secrets.getSecretValue(b -> b.secretId(arn)).secretString();
        } catch (SdkException e) {
            // The SDK's message names the secret, never its value.
            throw new MigrateException(Failure.UNREACHABLE, "cannot read secret " + arn + ": " + e.getMessage(), e);
        }
    }
}
