package dev.cryoprotect.migrate.cli;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.Orchestrator;
import dev.cryoprotect.migrate.report.SyncSummary;
import dev.cryoprotect.migrate.source.MigrationLoader;
import dev.cryoprotect.migrate.sync.ConvexSyncSink;
import dev.cryoprotect.migrate.sync.SyncEngine;
import dev.cryoprotect.migrate.lambda.ApplyMigrations;
import dev.cryoprotect.migrate.lambda.CreateMigration;
import dev.cryoprotect.migrate.lambda.HandlerException;
import dev.cryoprotect.migrate.lambda.JsonLog;
import dev.cryoprotect.migrate.lambda.LambdaConfig;
import dev.cryoprotect.migrate.lambda.MigrationHandler;
import dev.cryoprotect.migrate.lambda.MigrationStatus;
import dev.cryoprotect.migrate.lambda.RollbackMigrations;
import dev.cryoprotect.migrate.lambda.Services;
import dev.cryoprotect.migrate.lambda.SyncData;
import dev.cryoprotect.migrate.report.UniversalResult;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.plan.MigrationState;
import dev.cryoprotect.migrate.report.ErrorReport;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.source.MigrationLoader;
import dev.cryoprotect.migrate.target.DatabaseTarget;
import dev.cryoprotect.migrate.target.convex.ConvexClient;
import dev.cryoprotect.migrate.target.convex.ConvexSchemaRenderer;
import dev.cryoprotect.migrate.target.convex.ConvexTarget;
import dev.cryoprotect.migrate.target.convex.LocalConvexBackend;
import dev.cryoprotect.migrate.source.DirectorySource;
import dev.cryoprotect.migrate.source.MigrationScaffold;
import dev.cryoprotect.migrate.target.postgres.PostgresConfig;
import dev.cryoprotect.migrate.target.postgres.PostgresTarget;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;

/**
 * {@code migrate}: status, apply, rollback, create, repair and baseline on Supabase (PostgreSQL), locally on an
 * embedded database when no URL is given. Exit codes: 0 success, 1 a migration failed, 2 bad input or usage,
 * 3 lock busy, 4 database unreachable, 5 history conflict (changed, missing or out-of-order migrations).
 */
@Command(name = "migrate", mixinStandardHelpOptions = true, version = "migrate 0.1.0",
        description = "Database migrations for an app moving from Supabase (PostgreSQL) to Convex.",
        subcommands = {MigrateCli.Status.class, MigrateCli.Apply.class, MigrateCli.Rollback.class,
                MigrateCli.Create.class, MigrateCli.Repair.class, MigrateCli.Baseline.class,
                MigrateCli.Universal.class, MigrateCli.Sync.class, MigrateCli.ConvexSchema.class, MigrateCli.Invoke.class,
                MigrateCli.Local.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:a migration failed (it was rolled back)", "2:bad input or usage",
                "3:another run holds the lock", "4:database unreachable", "5:history conflict (changed, missing or"
                + " out-of-order migrations)", "70:internal error (a bug: please report it)"})
public final class MigrateCli implements Runnable {
    static final int INTERNAL_ERROR = 70;

    final Map<String, String> env;
    final PrintWriter out;
    final PrintWriter err;
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    MigrateCli(Map<String, String> env, PrintWriter out, PrintWriter err) {
        this.env = env;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        System.exit(run(args, System.getenv(), out, err));
    }

    /** Runs one command line and returns its exit code; never calls System.exit. */
    public static int run(String[] args, Map<String, String> env, PrintWriter out, PrintWriter err) {
        MigrateCli cli = new MigrateCli(env, out, err);
        CommandLine commandLine = new CommandLine(cli)
                .setOut(out)
                .setErr(err)
                .setCaseInsensitiveEnumValuesAllowed(true)
                .registerConverter(Version.class, new Options.VersionConverter())
                .setExecutionExceptionHandler((e, cl, parsed) -> cli.report(e, cl));
        commandLine.getCommandSpec().usageMessage().autoWidth(false);
        return commandLine.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(out);
    }

    /** Prints a failure for people on stderr (and as JSON on stdout with --format json); returns its exit code. */
    private int report(Exception e, CommandLine command) {
        if (e instanceof MigrateException m) {
            err.println("error: " + m.getMessage());
            err.flush();
            if (command.getCommand() instanceof Formatted f && f.format() == Output.Format.json) {
                new Output(out, Output.Format.json).json(Map.of("error", ErrorReport.of(m)));
            }
            return m.failure().exitCode();
        }
        err.println("internal error: " + e);
        e.printStackTrace(err);
        err.flush();
        return INTERNAL_ERROR;
    }

    /** A command whose output format is known, so errors can be printed in it too. */
    interface Formatted {
        Output.Format format();
    }

    /** The PostgreSQL to use: --database-url, else $SUPABASE_DB_URL, else the embedded local database. */
    PostgresConfig postgres(Options.Database db) {
        String url = db.databaseUrl != null ? db.databaseUrl : env.get("SUPABASE_DB_URL");
        if (url == null || url.isBlank()) {
            url = new LocalPostgres(db.local.localDir).ensureRunning();
        }
        return PostgresConfig.fromUrl(url, db.historySchema);
    }

    /**
     * The Convex client: $CONVEX_URL with $CONVEX_DEPLOY_KEY, else the local backend (when node and the convex/
     * project are here), else none, with a one-line notice; none at all when USE_CONVEX=false.
     */
    Optional<ConvexClient> convex(Options.Database db, boolean required) {
        if ("false".equalsIgnoreCase(env.getOrDefault("USE_CONVEX", "true").strip())) {
            if (required) {
                throw MigrateException.badInput("--database convex, but Convex is disabled (USE_CONVEX=false)");
            }
            return Optional.empty();
        }
        String url = env.get("CONVEX_URL");
        if (url != null && !url.isBlank()) {
            return Optional.of(new ConvexClient(url.strip(), env.get("CONVEX_DEPLOY_KEY")));
        }
        Path project = convexProject();
        if (LocalConvexBackend.available(project)) {
            LocalConvexBackend.Running local = localConvex(db.local.localDir).ensureRunning(Map.of());
            return Optional.of(new ConvexClient(local.url(), local.deployKey()));
        }
        String why = "CONVEX_URL is not set and the local Convex backend cannot run here (needs node and " + project
                + "/server/local-backend.ts)";
        if (required) {
            throw new MigrateException(Failure.UNREACHABLE, "--database convex: " + why);
        }
        err.println("notice: " + why + "; running on Supabase only (set USE_CONVEX=false to silence this)");
        err.flush();
        return Optional.empty();
    }

    /** Convex target settings; CONVEX_LEASE_SECONDS shortens the run lock's lease (default 60 s). */
    static ConvexTarget.Options convexOptions(Map<String, String> env) {
        String lease = env.get("CONVEX_LEASE_SECONDS");
        if (lease == null || lease.isBlank()) {
            return ConvexTarget.Options.defaults();
        }
        try {
            return ConvexTarget.Options.defaults().withLease(java.time.Duration.ofSeconds(Long.parseLong(lease.strip())));
        } catch (NumberFormatException e) {
            throw MigrateException.badInput("CONVEX_LEASE_SECONDS must be a whole number of seconds, not '" + lease + "'");
        }
    }

    /** The convex/ project whose functions the local backend serves: $MIGRATE_CONVEX_PROJECT or ./convex. */
    Path convexProject() {
        return Path.of(env.getOrDefault("MIGRATE_CONVEX_PROJECT", "convex"));
    }

    LocalConvexBackend localConvex(Path localDir) {
        return new LocalConvexBackend(convexProject(), localDir.resolve("convex"));
    }

    /** The selected databases' targets, Supabase first. The caller closes them. */
    List<DatabaseTarget> targets(Options.Database db, String selection) {
        String which = selection.toLowerCase(java.util.Locale.ROOT);
        if (!List.of("all", "supabase", "convex").contains(which)) {
            throw MigrateException.badInput("--database must be supabase, convex or all, not '" + selection + "'");
        }
        List<DatabaseTarget> targets = new ArrayList<>();
        if (!which.equals("convex")) {
            targets.add(new PostgresTarget(postgres(db)));
        }
        if (!which.equals("supabase")) {
            convex(db, which.equals("convex")).ifPresent(client ->
                    targets.add(new ConvexTarget(client, convexOptions(env))));
        }
        return targets;
    }

    static String whoAmI() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "localhost";
        }
        return System.getProperty("user.name", "unknown") + "@" + host;
    }

    /** What every command over migration files has: the files, the output format, --help. */
    abstract static class FilesCommand implements Callable<Integer>, Formatted {
        @ParentCommand
        MigrateCli cli;
        @Mixin
        Options.Files files;
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;

        @Override
        public Output.Format format() {
            return files.format;
        }

        Output output() {
            return new Output(cli.out, files.format);
        }
    }

    /** Base of the commands that run the core against the selected databases. */
    abstract static class DatabaseCommand extends FilesCommand {
        @Mixin
        Options.Database db;
        @Option(names = "--database", paramLabel = "supabase|convex|all", defaultValue = "all",
                description = "Which database: supabase, convex or all that are enabled (default: ${DEFAULT-VALUE}).")
        String database;

        /** Runs {@code action} on the selected databases; prints the results; returns the exit code. */
        int run(boolean outOfOrder, Function<Orchestrator, List<RunResult>> action) {
            List<RunResult> results = withOrchestrator(outOfOrder, action);
            output().runs(results);
            RunResult failed = results.stream().filter(r -> !r.success()).findFirst().orElse(null);
            if (failed == null) {
                return 0;
            }
            if (!output().isJson()) {
                cli.err.println("error: " + failed.error().message());
                cli.err.flush();
            }
            return failed.error().exitCode();
        }

        <T> T withOrchestrator(boolean outOfOrder, Function<Orchestrator, T> action) {
            List<DatabaseTarget> targets = cli.targets(db, database);
            try {
                Orchestrator.Settings settings = new Orchestrator.Settings(new DirectorySource(files.migrations),
                        db.lockTimeout(), outOfOrder, whoAmI(), event -> { });
                return action.apply(new Orchestrator(targets, settings));
            } finally {
                targets.forEach(DatabaseTarget::close);
            }
        }
    }

    @Command(name = "status", description = "Show every version's state on each database, side by side: APPLIED,"
            + " PENDING, OUT_OF_ORDER, CHANGED, MISSING.")
    static final class Status extends DatabaseCommand {
        @Option(names = "--convex-schema", paramLabel = "FILE",
                description = "Also check that this deployed Convex schema.ts matches the schema the migrations declare.")
        Path convexSchema;

        @Override
        public Integer call() {
            output().status(withOrchestrator(false, o -> o.status(convexSchema)));
            return 0;
        }
    }

    @Command(name = "universal", description = "The universal run: apply to Supabase, then to Convex; if Convex fails,"
            + " roll Supabase back to where this run found it. Prints the unified result (supabase, convex, status).")
    static final class Universal extends DatabaseCommand {
        @Option(names = "--target", paramLabel = "VERSION", description = "Apply up to and including this version.")
        Version target;
        @Option(names = "--dry-run", description = "Dry-run both databases: report what would fail, change nothing.")
        boolean dryRun;

        @Override
        public Integer call() {
            UniversalResult result = withOrchestrator(false, o -> o.universal(target, dryRun));
            output().universal(result);
            if (result.success()) {
                return 0;
            }
            if (!output().isJson()) {
                cli.err.println("error: " + result.message() + (result.error() == null ? "" : ": " + result.error().message()));
                cli.err.flush();
            }
            return result.error() == null ? Failure.MIGRATION_FAILED.exitCode() : result.error().exitCode();
        }
    }

    @Command(name = "sync", description = "Sync Supabase tables to Convex: every row to exactly one document (re-runs"
            + " update, never duplicate), incrementally by a cursor column (updated_at by default), with the documented"
            + " type mapping. Exit code 1 when any row or table failed; the rest still syncs.")
    static final class Sync extends FilesCommand {
        @CommandLine.Parameters(paramLabel = "TABLE", arity = "0..*",
                description = "Tables to sync (default: every base table of --schema except migrations).")
        List<String> tables = new ArrayList<>();
        @Mixin
        Options.Database db;
        @Option(names = "--dry-run", description = "Read and convert everything, write nothing; show counts and a sample document per table.")
        boolean dryRun;
        @Option(names = "--limit", paramLabel = "N", description = "At most N rows per table.")
        Integer limit;
        @Option(names = "--prune", description = "Delete Convex documents whose source row no longer exists.")
        boolean prune;
        @Option(names = "--schema", paramLabel = "SCHEMA", defaultValue = "public", description = "Source schema (default: ${DEFAULT-VALUE}).")
        String schema;
        @Option(names = "--cursor", paramLabel = "TABLE=COLUMN", description = "Cursor column of a table (TABLE= for a full pass every time).")
        Map<String, String> cursors = new java.util.LinkedHashMap<>();
        @Option(names = "--batch-rows", paramLabel = "N", defaultValue = "500", description = "Rows per Convex mutation (default: ${DEFAULT-VALUE}).")
        int batchRows;
        @Option(names = "--in-flight", paramLabel = "N", defaultValue = "4", description = "Batches in flight at once (default: ${DEFAULT-VALUE}).")
        int inFlight;
        @Option(names = "--progress", paramLabel = "auto|line|json|none", defaultValue = "auto",
                description = "Progress on stderr: a live line on a terminal (auto), JSON events, or none.")
        String progressMode;

        @Override
        public Integer call() {
            if (limit != null && limit <= 0) {
                throw MigrateException.badInput("--limit must be a positive number of rows");
            }
            if (batchRows <= 0 || inFlight <= 0) {
                throw MigrateException.badInput("--batch-rows and --in-flight must be positive");
            }
            PostgresConfig postgres = cli.postgres(db);
            Optional<ConvexClient> convex = cli.convex(db, !dryRun);
            SyncEngine.Options options = SyncEngine.Options.defaults().with(tables, dryRun, limit, prune)
                    .withCursors(cursors).withBatching(batchRows, 2L << 20, inFlight);
            options = new SyncEngine.Options(schema, options.tables(), options.dryRun(), options.limit(), options.prune(),
                    options.cursorColumns(), options.batchRows(), options.batchBytes(), options.inFlight(),
                    options.pageRows(), options.fetchSize());
            SyncProgress progress = new SyncProgress(cli.err, progressMode);
            SyncSummary summary = new SyncEngine(postgres, convex.map(ConvexSyncSink::new).orElse(null),
                    MigrationLoader.load(new DirectorySource(files.migrations)), options, progress).run();
            progress.done();
            output().sync(summary);
            return summary.failureCount() == 0 ? 0 : Failure.MIGRATION_FAILED.exitCode();
        }
    }

    @Command(name = "convex-schema", description = "Print (or write with --out) the Convex schema.ts that the migrations"
            + " declare: defineSchema, defineTable, v.*, .index, plus the framework's tables.")
    static final class ConvexSchema implements Callable<Integer> {
        @ParentCommand
        MigrateCli cli;
        @Option(names = "--migrations", paramLabel = "DIR", defaultValue = "migrations",
                description = "Directory of migration files (default: ${DEFAULT-VALUE}).")
        Path migrations;
        @Option(names = "--out", paramLabel = "FILE", description = "Write it to FILE (for example convex/schema.ts).")
        Path out;
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;

        @Override
        public Integer call() throws java.io.IOException {
            String schema = ConvexSchemaRenderer.render(MigrationLoader.load(new DirectorySource(migrations)));
            if (out == null) {
                cli.out.print(schema);
            } else {
                if (out.getParent() != null) {
                    java.nio.file.Files.createDirectories(out.getParent());
                }
                java.nio.file.Files.writeString(out, schema, StandardCharsets.UTF_8);
                cli.out.println("wrote " + out);
            }
            cli.out.flush();
            return 0;
        }
    }

    @Command(name = "apply", description = "Apply pending migrations, each in one transaction with its history row.")
    static final class Apply extends DatabaseCommand {
        @Option(names = "--target", paramLabel = "VERSION", description = "Apply up to and including this version.")
        Version target;
        @Option(names = "--dry-run", description = "Run each migration and roll it back: report what would fail, change nothing.")
        boolean dryRun;
        @Option(names = "--out-of-order", description = "Also apply pending versions lower than the highest applied one.")
        boolean outOfOrder;

        @Override
        public Integer call() {
            return run(outOfOrder, o -> o.apply(target, dryRun));
        }
    }

    @Command(name = "rollback", description = "Roll back the latest migration, or every one above --target, newest first, with the .down.sql files.")
    static final class Rollback extends DatabaseCommand {
        @Option(names = "--target", paramLabel = "VERSION", description = "Keep this version and those below it (000 rolls back everything).")
        Version target;
        @Option(names = "--dry-run", description = "Run the down files and roll them back: report what would fail, change nothing.")
        boolean dryRun;

        @Override
        public Integer call() {
            return run(false, o -> o.rollback(target, dryRun));
        }
    }

    @Command(name = "repair", description = "Record the current checksums of applied files that changed, after you confirm the edits are intended.")
    static final class Repair extends DatabaseCommand {
        @Option(names = {"-y", "--yes"}, description = "Confirm without asking (needed when there is no terminal).")
        boolean yes;

        @Override
        public Integer call() {
            return run(false, o -> {
                List<String> changed = o.status(null).databases().values().stream()
                        .flatMap(r -> r.migrations().stream()).filter(e -> e.state() == MigrationState.CHANGED)
                        .map(e -> e.file()).distinct().toList();
                if (!changed.isEmpty() && !yes && !confirm(changed)) {
                    throw MigrateException.badInput("repair not confirmed; nothing was changed. Re-run with --yes"
                            + " once you have checked that the edited files match what the database already has");
                }
                return o.repair();
            });
        }

        private boolean confirm(List<String> changed) {
            if (System.console() == null) {
                return false;
            }
            cli.out.println("These applied files changed since they were applied:");
            changed.forEach(file -> cli.out.println("  " + file));
            cli.out.print("Their edits will NOT be run; only the recorded checksums change. Type 'yes' to continue: ");
            cli.out.flush();
            try {
                String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                return "yes".equalsIgnoreCase(answer == null ? "" : answer.strip());
            } catch (java.io.IOException e) {
                return false;
            }
        }
    }

    @Command(name = "baseline", description = "Mark an existing database as already at --version: record the migrations up to it without running them.")
    static final class Baseline extends DatabaseCommand {
        @Option(names = "--version", paramLabel = "VERSION", required = true, description = "The version the database is at.")
        Version version;

        @Override
        public Integer call() {
            return run(false, o -> o.baseline(version));
        }
    }

    @Command(name = "create", description = "Create the next migration's files from templates.")
    static final class Create extends FilesCommand {
        @Option(names = "--name", paramLabel = "NAME", required = true, description = "snake_case name, such as add_teams.")
        String name;
        @Option(names = "--kind", paramLabel = "sql|convex|both", defaultValue = "both",
                description = "Which files: sql (.sql and .down.sql), convex (.json) or both (default: ${DEFAULT-VALUE}).")
        String kind;

        @Override
        public Integer call() {
            MigrationScaffold.Kind parsed = MigrationScaffold.Kind.parse(kind);
            if (!java.nio.file.Files.isDirectory(files.migrations)) {
                try {
                    java.nio.file.Files.createDirectories(files.migrations);
                } catch (java.io.IOException e) {
                    throw new MigrateException(Failure.BAD_INPUT, "cannot create " + files.migrations + ": " + e.getMessage());
                }
            }
            List<String> created = MigrationScaffold.create(new DirectorySource(files.migrations), name, parsed,
                    Clock.systemUTC());
            Output output = output();
            if (output.isJson()) {
                output.json(Map.of("created", created, "directory", files.migrations.toString()));
            } else {
                created.forEach(f -> output.line("created " + files.migrations.resolve(f)));
            }
            return 0;
        }
    }

    @Command(name = "invoke", description = "Run a Lambda handler here with an event file, as 'sam local invoke' would"
            + " (without Docker): against SUPABASE_DB_URL or the local PostgreSQL, CONVEX_URL or the local Convex"
            + " backend, and MIGRATIONS_BUCKET (with AWS_ENDPOINT_URL for a local S3) or --migrations. Prints the"
            + " handler's response, or Lambda's error payload {errorType, errorMessage}; logs go to stderr.")
    static final class Invoke implements Callable<Integer> {
        static final List<String> FUNCTIONS = List.of("MigrationStatus", "ApplyMigrations", "RollbackMigrations",
                "CreateMigration", "SyncData");

        @ParentCommand
        MigrateCli cli;
        @CommandLine.Parameters(index = "0", paramLabel = "FUNCTION",
                description = "MigrationStatus, ApplyMigrations, RollbackMigrations, CreateMigration or SyncData.")
        String function;
        @Option(names = {"-e", "--event"}, paramLabel = "FILE", required = true,
                description = "The event JSON (see events/); '-' reads it from standard input.")
        String event;
        @Mixin
        Options.Files files;
        @Mixin
        Options.Database db;
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;

        @Override
        public Integer call() throws java.io.IOException {
            if (!FUNCTIONS.contains(function)) {
                throw MigrateException.badInput("unknown function '" + function + "' (expected one of "
                        + String.join(", ", FUNCTIONS) + ")");
            }
            byte[] payload = event.equals("-") ? System.in.readAllBytes()
                    : java.nio.file.Files.readAllBytes(Path.of(event));
            Services services = new Services(LambdaConfig.from(environment()),
                    new JsonLog(line -> { cli.err.println(line); cli.err.flush(); }, function));
            MigrationHandler handler = switch (function) {
                case "MigrationStatus" -> new MigrationStatus(services);
                case "ApplyMigrations" -> new ApplyMigrations(services);
                case "RollbackMigrations" -> new RollbackMigrations(services);
                case "CreateMigration" -> new CreateMigration(services);
                default -> new SyncData(services);
            };
            java.io.ByteArrayOutputStream response = new java.io.ByteArrayOutputStream();
            try {
                handler.handleRequest(new java.io.ByteArrayInputStream(payload), response, null);
                cli.out.println(response.toString(StandardCharsets.UTF_8));
                cli.out.flush();
                return 0;
            } catch (HandlerException e) {
                new Output(cli.out, Output.Format.json).json(Map.of("errorType", e.getClass().getName(),
                        "errorMessage", e.getMessage()));
                return e.failure().exitCode();
            }
        }

        /** The function's environment: this process's, with the local databases and files filling what is unset. */
        private Map<String, String> environment() {
            Map<String, String> env = new java.util.HashMap<>(cli.env);
            if (db.databaseUrl != null) {
                env.put("SUPABASE_DB_URL", db.databaseUrl);
            } else if (!env.containsKey("SUPABASE_DB_URL") && !env.containsKey("DATABASE_SECRET_ARN")) {
                env.put("SUPABASE_DB_URL", new LocalPostgres(db.local.localDir).ensureRunning());
            }
            if (!env.containsKey("CONVEX_URL") && !"false".equalsIgnoreCase(env.getOrDefault("USE_CONVEX", "true"))) {
                cli.convex(db, false).ifPresent(client -> {
                    LocalConvexBackend.Running local = cli.localConvex(db.local.localDir).running().orElseThrow();
                    env.put("CONVEX_URL", local.url());
                    env.put("CONVEX_DEPLOY_KEY", local.deployKey());
                });
            }
            env.putIfAbsent("MIGRATIONS_DIR", files.migrations.toString());
            env.putIfAbsent("HISTORY_SCHEMA", db.historySchema);
            env.putIfAbsent("LOCK_TIMEOUT_SECONDS", String.valueOf(db.lockTimeoutSeconds));
            env.put("AWS_LAMBDA_FUNCTION_NAME", function);
            return env;
        }
    }

    @Command(name = "local", description = "Manage the local databases used when no database URL is given: the embedded"
            + " PostgreSQL and the local Convex backend.",
            subcommands = {Local.LocalStatus.class, Local.LocalStop.class})
    static final class Local implements Runnable {
        @ParentCommand
        MigrateCli cli;
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(cli.out);
        }

        @Command(name = "status", description = "Say whether the local PostgreSQL and Convex backend run, and where.")
        static final class LocalStatus implements Callable<Integer> {
            @ParentCommand
            Local local;
            @Mixin
            Options.LocalDir dir;

            @Override
            public Integer call() {
                LocalPostgres pg = new LocalPostgres(dir.localDir);
                local.cli.out.println(pg.runningPort().map(p -> "local PostgreSQL runs on localhost:" + p
                        + " (data in " + pg.home() + ")").orElse("local PostgreSQL is not running"));
                local.cli.out.println(local.cli.localConvex(dir.localDir).running()
                        .map(r -> "local Convex backend runs at " + r.url() + " (pid " + r.pid() + ", data in memory)")
                        .orElse("local Convex backend is not running"));
                local.cli.out.flush();
                return 0;
            }
        }

        @Command(name = "stop", description = "Stop the local PostgreSQL (its data stays) and the local Convex backend"
                + " (its data, in memory, goes); the next command starts them again.")
        static final class LocalStop implements Callable<Integer> {
            @ParentCommand
            Local local;
            @Mixin
            Options.LocalDir dir;

            @Override
            public Integer call() {
                boolean stopped = new LocalPostgres(dir.localDir).stop();
                local.cli.out.println(stopped ? "stopped the local PostgreSQL" : "local PostgreSQL was not running");
                boolean convexStopped = local.cli.localConvex(dir.localDir).stop();
                local.cli.out.println(convexStopped ? "stopped the local Convex backend (its data was in memory)"
                        : "local Convex backend was not running");
                local.cli.out.flush();
                return 0;
            }
        }
    }
}
