package dev.cryoprotect.migrate.target.convex;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.ConvexMigration;
import dev.cryoprotect.migrate.model.ConvexMigration.DataOp;
import dev.cryoprotect.migrate.model.Database;
import dev.cryoprotect.migrate.model.Migration;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.report.StepResult;
import dev.cryoprotect.migrate.target.AppliedMigration;
import dev.cryoprotect.migrate.target.DatabaseTarget;
import dev.cryoprotect.migrate.target.RunInfo;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Convex over its HTTP API, driving the internal functions of {@code convex/migrations/runner.ts}. Each migration is
 * one mutation (history row, data ops and their recorded inverse together), or, for files with
 * {@code "batched": true}, a series of mutations whose progress Convex records so a rerun resumes. The run lock is a
 * lease renewed in the background; a crashed runner's lease expires.
 */
public final class ConvexTarget implements DatabaseTarget {
    private static final String RUNNER = "migrations/runner:";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Tunables. {@code limits} is the per-mutation budget checked inside Convex (null: the functions' defaults, well
     * inside Convex's limits); {@code batchOps}/{@code batchBytes} size the chunks of batched migrations;
     * {@code maxCallBytes} bounds one call's encoded arguments.
     */
    public record Options(Duration lease, Duration lockPoll, Map<String, Object> limits, int batchOps,
                          long batchBytes, long maxCallBytes) {
        public static Options defaults() {
            return new Options(Duration.ofSeconds(60), Duration.ofMillis(500), null, 500, 2L << 20, 8L << 20);
        }

        public Options withLease(Duration newLease) {
            return new Options(newLease, lockPoll, limits, batchOps, batchBytes, maxCallBytes);
        }

        public Options withLimits(Map<String, Object> newLimits) {
            return new Options(lease, lockPoll, newLimits, batchOps, batchBytes, maxCallBytes);
        }
    }

    private final ConvexClient client;
    private final Options options;
    private volatile String owner;
    private ScheduledExecutorService renewer;

    public ConvexTarget(ConvexClient client, Options options) {
        this.client = client;
        this.options = options;
    }

    @Override
    public Database database() {
        return Database.CONVEX;
    }

    @Override
    public String describe() {
        return "Convex " + client.baseUrl();
    }

    @Override
    public List<AppliedMigration> applied() {
        Map<?, ?> result = (Map<?, ?>) call(null, () -> client.query(RUNNER + "listApplied", Map.of()));
        List<AppliedMigration> rows = new ArrayList<>();
        for (Object item : (List<?>) result.get("applied")) {
            Map<?, ?> row = (Map<?, ?>) item;
            rows.add(new AppliedMigration(Version.parse((String) row.get("version")), (String) row.get("name"),
                    (String) row.get("checksum"), Instant.ofEpochMilli(((Number) row.get("applied_at")).longValue()),
                    null, (String) row.get("run_id"), (String) row.get("applied_by")));
        }
        rows.sort((a, b) -> a.version().compareTo(b.version()));
        return rows;
    }

    @Override
    public Lock lock(Duration wait) {
        String candidate = UUID.randomUUID().toString();
        long deadline = System.nanoTime() + wait.toNanos();
        Map<String, Object> args = Map.of("owner", candidate, "leaseMs", (double) options.lease().toMillis());
        while (true) {
            Map<?, ?> result = (Map<?, ?>) call(null, () -> client.mutation(RUNNER + "acquireLock", args));
            if (Boolean.TRUE.equals(result.get("acquired"))) {
                owner = candidate;
                startRenewing();
                return this::release;
            }
            if (System.nanoTime() >= deadline) {
                long expiresIn = Math.max(0, ((Number) result.get("expiresAt")).longValue() - System.currentTimeMillis());
                throw new MigrateException(Failure.LOCK_BUSY, "another run holds the lock on Convex (its lease ends in "
                        + (expiresIn + 999) / 1000 + " s unless renewed; waited " + wait.toSeconds()
                        + " s); nothing was run. Retry when it has finished");
            }
            try {
                Thread.sleep(options.lockPoll().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MigrateException(Failure.LOCK_BUSY, "interrupted while waiting for the Convex lock");
            }
        }
    }

    private void startRenewing() {
        renewer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "convex-lease-renewer");
            thread.setDaemon(true);
            return thread;
        });
        long every = Math.max(1, options.lease().toMillis() / 3);
        String leaseOwner = owner;
        renewer.scheduleAtFixedRate(() -> {
            try {
                client.mutation(RUNNER + "renewLock", Map.of("owner", leaseOwner,
                        "leaseMs", (double) options.lease().toMillis()));
            } catch (RuntimeException ignored) {
                // A missed renewal is retried next period; if the lease lapses, Convex refuses our writes (LOCK_LOST).
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    private void release() {
        if (renewer != null) {
            renewer.shutdownNow();
            renewer = null;
        }
        String leaseOwner = owner;
        owner = null;
        if (leaseOwner != null) {
            try {
                client.mutation(RUNNER + "releaseLock", Map.of("owner", leaseOwner));
            } catch (RuntimeException ignored) {
                // The lease expires on its own.
            }
        }
    }

    @Override
    public void prepare() {
        // The framework's tables come with the deployed schema (includeMigrationSchema): nothing to create.
    }

    @Override
    public AppliedMigration apply(Migration migration, RunInfo run) {
        ConvexMigration convex = migration.convex().orElseThrow();
        long started = System.nanoTime();
        List<Map<String, Object>> ops = wireOps(convex);
        if (convex.batched()) {
            applyBatched(migration, convex, ops, run);
        } else {
            long size = encodedSize(ops);
            if (size > options.maxCallBytes()) {
                throw new MigrateException(Failure.MIGRATION_FAILED, convex.fileName() + ": its data ops encode to "
                        + size / 1024 + " KiB, more than one Convex call may carry (" + options.maxCallBytes() / 1024
                        + " KiB); set \"batched\": true in the file to run it in several mutations. Nothing was sent",
                        convex.fileName(), null, null);
            }
            Map<String, Object> args = migrationArgs(migration, convex, ops);
            args.put("owner", requireOwner());
            args.put("runId", run.runId());
            args.put("appliedBy", run.appliedBy());
            putLimits(args);
            call(migration, () -> client.mutation(RUNNER + "applyMigration", args));
        }
        return new AppliedMigration(migration.version(), migration.name(), convex.checksum(), null,
                (System.nanoTime() - started) / 1_000_000, run.runId(), run.appliedBy());
    }

    private void applyBatched(Migration migration, ConvexMigration convex, List<Map<String, Object>> ops, RunInfo run) {
        int from = 0;
        for (int calls = 0; ; calls++) {
            if (calls > ops.size() + 10) {
                throw new MigrateException(Failure.MIGRATION_FAILED, convex.fileName()
                        + ": batched run made no progress; run status and retry", convex.fileName(), null, null);
            }
            int to = chunkEnd(ops, from);
            Map<String, Object> args = migrationArgs(migration, convex, ops.subList(from, to));
            args.put("fromIndex", (double) from);
            args.put("isLast", to == ops.size());
            args.put("owner", requireOwner());
            args.put("runId", run.runId());
            args.put("appliedBy", run.appliedBy());
            putLimits(args);
            Map<?, ?> result = (Map<?, ?>) call(migration, () -> client.mutation(RUNNER + "applyBatch", args));
            String status = (String) result.get("status");
            int next = ((Number) result.get("nextIndex")).intValue();
            if (status.equals("applied") || status.equals("already_applied")) {
                return;
            }
            if (next < 0 || next > ops.size()) {
                throw new MigrateException(Failure.HISTORY_CONFLICT, convex.fileName() + ": Convex recorded progress at op "
                        + next + " but the file has " + ops.size() + " ops", convex.fileName(), null, null);
            }
            from = status.equals("resync") ? next : to;
        }
    }

    /** The end (exclusive) of the chunk starting at {@code from}: bounded by op count and encoded size. */
    private int chunkEnd(List<Map<String, Object>> ops, int from) {
        int to = from;
        long bytes = 0;
        while (to < ops.size() && to - from < options.batchOps()) {
            long size = encodedSize(ops.get(to));
            if (to > from && bytes + size > options.batchBytes()) {
                break;
            }
            bytes += size;
            to++;
        }
        return to;
    }

    @Override
    public void rollback(Migration migration, RunInfo run) {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("version", migration.version().text());
        args.put("owner", requireOwner());
        putLimits(args);
        for (int step = 0; step < 1_000_000; step++) {
            Map<?, ?> result = (Map<?, ?>) call(migration, () -> client.mutation(RUNNER + "rollbackMigration", args));
            String status = (String) result.get("status");
            if (!status.equals("in_progress")) {
                return; // rolled_back, or not_applied (a retried call whose first attempt finished)
            }
        }
        throw new MigrateException(Failure.MIGRATION_FAILED, "rollback of " + migration.label() + " did not finish");
    }

    @Override
    public List<StepResult> dryRun(List<Migration> migrations, boolean up, RunInfo run) {
        List<StepResult> steps = new ArrayList<>();
        List<Map<String, Object>> payload = new ArrayList<>();
        List<Migration> included = new ArrayList<>();
        for (Migration m : migrations) {
            ConvexMigration convex = m.convex().orElseThrow();
            if (up && convex.batched()) {
                steps.add(new StepResult(m.version().text(), m.name(), convex.fileName(), "skipped", 0,
                        "batched: it runs in several mutations, so a dry run (one mutation) cannot cover it; not tried"));
                continue;
            }
            payload.add(migrationArgs(m, convex, up ? wireOps(convex) : List.of()));
            included.add(m);
        }
        if (included.isEmpty()) {
            return steps;
        }
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("migrations", payload);
        args.put("direction", up ? "up" : "down");
        args.put("owner", requireOwner());
        putLimits(args);
        long started = System.nanoTime();
        try {
            client.mutation(RUNNER + "dryRun", args);
            throw new MigrateException(Failure.MIGRATION_FAILED, "the Convex dryRun function returned instead of"
                    + " throwing its report; is convex/migrations deployed in the version this tool expects?");
        } catch (ConvexException.FunctionError e) {
            if (!"DRY_RUN".equals(e.code())) {
                throw failure(null, e);
            }
            long ms = (System.nanoTime() - started) / 1_000_000;
            for (Object item : (List<?>) ((Map<?, ?>) e.data()).get("report")) {
                Map<?, ?> entry = (Map<?, ?>) item;
                Migration m = included.stream().filter(x -> x.version().text().equals(entry.get("version")))
                        .findFirst().orElseThrow();
                String file = m.convex().orElseThrow().fileName();
                if (Boolean.TRUE.equals(entry.get("ok"))) {
                    steps.add(new StepResult(m.version().text(), m.name(), file, up ? "would_apply" : "would_roll_back",
                            ms, summary(entry)));
                } else {
                    MigrateException f = functionFailure(m, (Map<?, ?>) entry.get("error"));
                    steps.add(new StepResult(m.version().text(), m.name(), file, "failed", ms, f.getMessage()));
                }
            }
        } catch (ConvexException.TransportError e) {
            throw unreachable(e);
        }
        steps.sort((a, b) -> Version.parse(a.version()).compareTo(Version.parse(b.version())) * (up ? 1 : -1));
        return steps;
    }

    @Override
    public void record(Migration migration, RunInfo run) {
        Map<String, Object> args = Map.of("version", migration.version().text(), "name", migration.name(),
                "checksum", migration.convex().orElseThrow().checksum(), "owner", requireOwner(),
                "runId", run.runId(), "appliedBy", run.appliedBy());
        call(migration, () -> client.mutation(RUNNER + "recordMigration", args));
    }

    @Override
    public void updateChecksum(Version version, String checksum) {
        Map<String, Object> args = Map.of("version", version.text(), "checksum", checksum, "owner", requireOwner());
        call(null, () -> client.mutation(RUNNER + "updateChecksum", args));
    }

    @Override
    public void close() {
        release();
    }

    /** The ops as the runner's validator wants them, values already checked against the declared schema. */
    private static List<Map<String, Object>> wireOps(ConvexMigration convex) {
        List<Map<String, Object>> ops = new ArrayList<>();
        for (DataOp op : convex.ops()) {
            Map<String, Object> wire = new LinkedHashMap<>();
            wire.put("index", (double) op.index());
            wire.put("type", op.type().name().toLowerCase(Locale.ROOT));
            wire.put("table", op.table());
            if (op.values() != null) {
                wire.put("data", op.values());
            }
            if (op.match() != null) {
                wire.put("filter", op.match());
            }
            ops.add(wire);
        }
        return ops;
    }

    private static Map<String, Object> migrationArgs(Migration m, ConvexMigration convex, List<Map<String, Object>> ops) {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("version", m.version().text());
        args.put("name", m.name());
        if (!convex.description().isEmpty()) {
            args.put("description", convex.description());
        }
        args.put("checksum", convex.checksum());
        args.put("ops", ops);
        return args;
    }

    private void putLimits(Map<String, Object> args) {
        if (options.limits() != null) {
            args.put("limits", options.limits());
        }
    }

    private String requireOwner() {
        String current = owner;
        if (current == null) {
            throw new IllegalStateException("Convex writes need the run lock; call lock() first");
        }
        return current;
    }

    private static long encodedSize(Object value) {
        return ConvexValues.encode(value).toString().length();
    }

    private static String summary(Map<?, ?> entry) {
        if (entry.containsKey("inserted")) {
            return "inserted " + num(entry.get("inserted")) + ", updated " + num(entry.get("updated")) + ", deleted "
                    + num(entry.get("deleted"));
        }
        return entry.containsKey("undone") ? "undid " + num(entry.get("undone")) + " change(s)" : null;
    }

    private static long num(Object o) {
        return o instanceof Number n ? n.longValue() : 0;
    }

    private interface ConvexCall {
        Object run();
    }

    private Object call(Migration migration, ConvexCall call) {
        try {
            return call.run();
        } catch (ConvexException.FunctionError e) {
            throw failure(migration, e);
        } catch (ConvexException.TransportError e) {
            throw unreachable(e);
        }
    }

    private MigrateException unreachable(ConvexException.TransportError e) {
        return new MigrateException(Failure.UNREACHABLE, e.getMessage() + ". A migration in flight was applied"
                + " whole or not at all; run status to see which (re-running apply never applies a version twice)", e);
    }

    private MigrateException failure(Migration migration, ConvexException.FunctionError e) {
        if (e.data() instanceof Map<?, ?> data && data.get("code") instanceof String) {
            return functionFailure(migration, data);
        }
        String file = migration == null ? null : migration.convex().map(ConvexMigration::fileName).orElse(null);
        return new MigrateException(Failure.MIGRATION_FAILED, (file == null ? "" : file + ": ") + e.getMessage()
                + (migration == null ? "" : ". Convex undid the whole mutation; nothing of it remains"), file, null, e);
    }

    /** Maps the runner's ConvexError data to a message naming the file and the op's line. */
    private MigrateException functionFailure(Migration migration, Map<?, ?> data) {
        String code = String.valueOf(data.get("code"));
        String message = data.get("message") instanceof String s ? s : JSON.valueToTree(data).toString();
        if (code.equals("LOCK_LOST")) {
            return new MigrateException(Failure.LOCK_BUSY, "Convex: " + message + "; nothing more was run");
        }
        ConvexMigration convex = migration == null ? null : migration.convex().orElse(null);
        String file = convex == null ? null : convex.fileName();
        Integer line = null;
        if (convex != null && data.get("opIndex") instanceof Number index) {
            line = convex.ops().stream().filter(op -> op.index() == index.intValue()).map(DataOp::line)
                    .findFirst().orElse(null);
        }
        Failure kind = code.equals("CHECKSUM_MISMATCH") ? Failure.HISTORY_CONFLICT : Failure.MIGRATION_FAILED;
        String where = file == null ? "" : file + (line == null ? "" : ":" + line) + ": ";
        String outcome = kind != Failure.MIGRATION_FAILED ? ""
                : convex != null && convex.batched() ? ". Convex undid this batch; earlier batches stay recorded and a rerun"
                + " continues after them (rollback undoes them)"
                : ". Convex undid the whole mutation; nothing of it remains";
        return new MigrateException(kind, where + message + outcome, file, line, null);
    }
}
