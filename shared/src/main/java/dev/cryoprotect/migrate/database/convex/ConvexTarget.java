package dev.cryoprotect.migrate.database.convex;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.convex.ConvexClient;
import dev.cryoprotect.migrate.convex.ConvexException;
import dev.cryoprotect.migrate.convex.ConvexValues;
import dev.cryoprotect.migrate.database.DatabaseTarget;
import dev.cryoprotect.migrate.database.convex.MigrationFunctions.BatchAnswer;
import dev.cryoprotect.migrate.database.convex.MigrationFunctions.BatchStatus;
import dev.cryoprotect.migrate.database.convex.MigrationFunctions.DryRunEntry;
import dev.cryoprotect.migrate.database.convex.MigrationFunctions.LockAnswer;
import dev.cryoprotect.migrate.database.convex.MigrationFunctions.RollbackStatus;
import dev.cryoprotect.migrate.model.AppliedMigration;
import dev.cryoprotect.migrate.model.ConvexMigration;
import dev.cryoprotect.migrate.model.Database;
import dev.cryoprotect.migrate.model.Migration;
import dev.cryoprotect.migrate.model.RunInfo;
import dev.cryoprotect.migrate.model.StepOutcome;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.report.StepResult;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Convex over its HTTP API, driving the internal functions of {@code convex/migrations/runner.ts} (see
 * {@link MigrationFunctions}). Each migration is one mutation (history row, data ops and their recorded inverse
 * together), or, for files with {@code "batched": true}, a series of mutations whose progress Convex records so a
 * rerun resumes. The run lock is a lease renewed in the background ({@link ConvexLease}).
 */
public final class ConvexTarget implements DatabaseTarget {

    /**
     * Tunables. {@code limits} is the per-mutation budget checked inside Convex (null: the functions' defaults, well
     * inside Convex's limits); {@code batchOps}/{@code batchBytes} size the chunks of batched migrations;
     * {@code maxCallBytes} bounds one call's encoded arguments.
     */
    public record Options(Duration lease, Duration lockPoll, Map<String, Object> limits, int batchOps,
                          long batchBytes, long maxCallBytes) {
        /** A 15 s lease (renewed every 5 s): a crashed run's lock is free again well within the default lock timeout. */
        public static Options defaults() {
            return new Options(Duration.ofSeconds(15), Duration.ofMillis(500), null, 500, 2L << 20, 8L << 20);
        }

        public Options withLease(Duration newLease) {
            return new Options(newLease, lockPoll, limits, batchOps, batchBytes, maxCallBytes);
        }

        public Options withLimits(Map<String, Object> newLimits) {
            return new Options(lease, lockPoll, newLimits, batchOps, batchBytes, maxCallBytes);
        }
    }

    private final MigrationFunctions functions;
    private final Options options;
    private ConvexLease lease;

    public ConvexTarget(ConvexClient client, Options options) {
        this.functions = new MigrationFunctions(client);
        this.options = options;
    }

    @Override
    public Database database() {
        return Database.CONVEX;
    }

    @Override
    public String describe() {
        return "Convex " + functions.deployment();
    }

    /** The history rows (ROLLING_BACK while a rollback is unfinished), plus a PARTIAL row per unfinished batched apply. */
    @Override
    public List<AppliedMigration> applied() {
        MigrationFunctions.History history = call(null, functions::listApplied);
        List<AppliedMigration> rows = new ArrayList<>();
        for (MigrationFunctions.HistoryRow row : history.applied()) {
            boolean rollingBack = "rolling_back".equals(row.state());
            rows.add(new AppliedMigration(Version.parse(row.version()), row.name(), row.checksum(),
                    Instant.ofEpochMilli((long) row.appliedAt()), null, row.runId(), row.appliedBy(), null,
                    rollingBack ? AppliedMigration.State.ROLLING_BACK : AppliedMigration.State.APPLIED,
                    rollingBack ? "part of its recorded changes are undone" : null));
        }
        for (MigrationFunctions.ProgressRow progress : history.batchesInProgress() == null ? List.<MigrationFunctions.ProgressRow>of()
                : history.batchesInProgress()) {
            rows.add(new AppliedMigration(Version.parse(progress.version()), progress.name(), progress.checksum(),
                    Instant.ofEpochMilli((long) progress.startedAt()), null, progress.runId(), null, null,
                    progress.rollingBack() ? AppliedMigration.State.ROLLING_BACK : AppliedMigration.State.PARTIAL,
                    batchProgress(progress)));
        }
        rows.sort((a, b) -> a.version().compareTo(b.version()));
        return rows;
    }

    /** "batch 3 of 7 committed (ops 1-3000 of 7000)", as far as the runner recorded it. */
    private static String batchProgress(MigrationFunctions.ProgressRow p) {
        String batches = p.totalBatches() == null ? p.batches() + " batch" + (p.batches() == 1 ? "" : "es")
                : p.batches() + " of " + p.totalBatches() + " batches";
        String ops = p.nextIndex() == 0 ? "no ops" : "ops 1-" + p.nextIndex() + (p.totalOps() == null ? "" : " of "
                + p.totalOps());
        return p.rollingBack() ? "a batched apply of " + batches + " (" + ops + "), part of it undone"
                : batches + " committed (" + ops + ")";
    }

    @Override
    public Lock lock(Duration wait, Consumer<String> waiting) {
        String candidate = UUID.randomUUID().toString();
        long deadline = System.nanoTime() + wait.toNanos();
        boolean told = false;
        while (true) {
            LockAnswer answer = call(null, () -> functions.acquireLock(candidate, options.lease()));
            if (answer.acquired()) {
                lease = new ConvexLease(functions, candidate, options.lease());
                return this::release;
            }
            if (!told) {
                told = true;
                waiting.accept("another run has held the Convex lock since " + toSecond(answer.acquiredAt())
                        + " (its lease ends in " + secondsUntil(answer.expiresAt()) + " s unless renewed); waiting up to "
                        + wait.toSeconds() + " s");
            }
            if (System.nanoTime() >= deadline) {
                throw new MigrateException(Failure.LOCK_BUSY, "another run holds the lock on Convex (its lease ends in "
                        + secondsUntil(answer.expiresAt()) + " s unless renewed; waited " + wait.toSeconds()
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

    /**
     * Another run's live lease. Unlike PostgreSQL's session lock, a lease outlives a killed run until it lapses, so the
     * answer says when that is. Empty when this target holds it, none is held, or the deployed convex/ predates
     * {@code lockHolder} (only advice for status: nothing fails for want of it).
     */
    @Override
    public java.util.Optional<String> runInProgress() {
        try {
            MigrationFunctions.LeaseHolder holder = functions.lockHolder();
            ConvexLease own = lease;
            if (holder == null || own != null && own.owner().equals(holder.owner())) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of("Convex lease taken at " + toSecond(holder.acquiredAt()) + ", ending in "
                    + secondsUntil(holder.expiresAt()) + " s unless renewed; a killed run's lease lapses then");
        } catch (ConvexException e) {
            return java.util.Optional.empty();
        }
    }

    /** A lease's time (epoch ms, as Convex gives it) to the second, as messages show it. */
    private static Instant toSecond(double epochMillis) {
        return Instant.ofEpochMilli((long) epochMillis).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    }

    private static long secondsUntil(double epochMillis) {
        return (Math.max(0, (long) epochMillis - System.currentTimeMillis()) + 999) / 1000;
    }

    private void release() {
        if (lease != null) {
            lease.close();
            lease = null;
        }
    }

    @Override
    public void prepare() {
        owner("prepare"); // the framework's tables come with the deployed schema (includeMigrationSchema)
    }

    @Override
    public AppliedMigration apply(Migration migration, RunInfo run) {
        String owner = owner("apply");
        ConvexMigration convex = migration.convex().orElseThrow();
        long started = System.nanoTime();
        List<Map<String, Object>> ops = MigrationFunctions.wireOps(convex);
        if (convex.batched()) {
            applyBatched(migration, convex, ops, run, owner);
        } else {
            long size = encodedSize(ops);
            if (size > options.maxCallBytes()) {
                throw new MigrateException(Failure.MIGRATION_FAILED, convex.fileName() + ": its data ops encode to "
                        + size / 1024 + " KiB, more than one Convex call may carry (" + options.maxCallBytes() / 1024
                        + " KiB); set \"batched\": true in the file to run it in several mutations. Nothing was sent",
                        convex.fileName(), null, null);
            }
            Map<String, Object> args = writeArgs(MigrationFunctions.migrationArgs(migration, convex, ops), run, owner);
            call(migration, () -> {
                functions.applyMigration(args);
                return null;
            });
        }
        return new AppliedMigration(migration.version(), migration.name(), convex.checksum(), null,
                (System.nanoTime() - started) / 1_000_000, run.runId(), run.appliedBy());
    }

    private void applyBatched(Migration migration, ConvexMigration convex, List<Map<String, Object>> ops, RunInfo run,
                              String owner) {
        int totalBatches = 0;
        for (int at = 0; at < ops.size(); at = chunkEnd(ops, at)) {
            totalBatches++; // the same chunking a rerun uses, so a resumed run's positions fall on these boundaries
        }
        int from = 0;
        for (int calls = 0; ; calls++) {
            if (calls > ops.size() + 10) {
                throw new MigrateException(Failure.MIGRATION_FAILED, convex.fileName()
                        + ": batched run made no progress; run status and retry", convex.fileName(), null, null);
            }
            int to = chunkEnd(ops, from);
            Map<String, Object> args = writeArgs(MigrationFunctions.migrationArgs(migration, convex, ops.subList(from, to)), run, owner);
            args.put("fromIndex", (double) from);
            args.put("isLast", to == ops.size());
            args.put("totalOps", (double) ops.size());
            args.put("totalBatches", (double) Math.max(1, totalBatches));
            BatchAnswer answer = call(migration, () -> functions.applyBatch(args));
            if (answer.status() == BatchStatus.APPLIED || answer.status() == BatchStatus.ALREADY_APPLIED) {
                return;
            }
            if (answer.nextIndex() < 0 || answer.nextIndex() > ops.size()) {
                throw new MigrateException(Failure.HISTORY_CONFLICT, convex.fileName() + ": Convex recorded progress"
                        + " at op " + answer.nextIndex() + " but the file has " + ops.size() + " ops",
                        convex.fileName(), null, null);
            }
            from = answer.status() == BatchStatus.RESYNC ? answer.nextIndex() : to;
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
        args.put("owner", owner("rollback"));
        putLimits(args);
        for (int step = 0; step < 1_000_000; step++) {
            if (call(migration, () -> functions.rollbackMigration(args)).status() != RollbackStatus.IN_PROGRESS) {
                return; // rolled back, or not applied (a retried call whose first attempt finished)
            }
        }
        throw new MigrateException(Failure.MIGRATION_FAILED, "rollback of " + migration.label() + " did not finish");
    }

    /** Every migration in one mutation that then throws, so Convex itself undoes the whole dry run. */
    @Override
    public List<StepResult> dryRun(List<Migration> migrations, boolean up, RunInfo run) {
        String owner = owner("dryRun");
        List<StepResult> steps = new ArrayList<>();
        List<Map<String, Object>> payload = new ArrayList<>();
        List<Migration> included = new ArrayList<>();
        for (Migration m : migrations) {
            ConvexMigration convex = m.convex().orElseThrow();
            if (up && convex.batched()) {
                steps.add(new StepResult(m.version().text(), m.name(), convex.fileName(), StepOutcome.SKIPPED, 0,
                        "batched: it runs in several mutations, so a dry run (one mutation) cannot cover it; not tried"));
                continue;
            }
            payload.add(MigrationFunctions.migrationArgs(m, convex, up ? MigrationFunctions.wireOps(convex) : List.of()));
            included.add(m);
        }
        if (included.isEmpty()) {
            return steps;
        }
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("migrations", payload);
        args.put("direction", up ? "up" : "down");
        args.put("owner", owner);
        putLimits(args);
        long started = System.nanoTime();
        try {
            functions.dryRun(args);
            throw new MigrateException(Failure.MIGRATION_FAILED, "the Convex dryRun function returned instead of"
                    + " throwing its report; is convex/migrations deployed in the version this tool expects?");
        } catch (ConvexException.FunctionError e) {
            if (!"DRY_RUN".equals(e.code())) {
                throw ConvexFailures.functionFailed(null, e);
            }
            long ms = (System.nanoTime() - started) / 1_000_000;
            List<DryRunEntry> report = MigrationFunctions.dryRunReport(e.data());
            for (DryRunEntry entry : report) {
                Migration m = included.stream().filter(x -> x.version().text().equals(entry.version()))
                        .findFirst().orElseThrow();
                String file = m.convex().orElseThrow().fileName();
                if (entry.ok()) {
                    steps.add(new StepResult(m.version().text(), m.name(), file,
                            up ? StepOutcome.WOULD_APPLY : StepOutcome.WOULD_ROLL_BACK, ms, entry.summary()));
                } else if (m != included.get(0) && overOneMutation(entry.error())) {
                    // The dry run's one mutation holds every migration; the real run gives each its own. Past
                    // Convex's limits together says nothing about this one alone: not tried, as SQL's dry run says.
                    steps.add(new StepResult(m.version().text(), m.name(), file, StepOutcome.SKIPPED, ms,
                            "not tried: the dry run runs every migration in one mutation, which this one took past"
                                    + " Convex's limits for one mutation (" + entry.error().get("message") + "); the"
                                    + " real run gives each its own"));
                } else {
                    steps.add(new StepResult(m.version().text(), m.name(), file, StepOutcome.FAILED, ms,
                            ConvexFailures.fromErrorData(m, entry.error()).getMessage()));
                }
            }
            for (Migration m : included.subList(Math.min(report.size(), included.size()), included.size())) {
                steps.add(new StepResult(m.version().text(), m.name(), m.convex().orElseThrow().fileName(),
                        StepOutcome.SKIPPED, 0, "not tried: the dry run stopped at an earlier migration"));
            }
        } catch (ConvexException.TransportError e) {
            throw ConvexFailures.unreachable(null, e); // a dry run changes nothing
        }
        steps.sort((a, b) -> Version.parse(a.version()).compareTo(Version.parse(b.version())) * (up ? 1 : -1));
        return steps;
    }

    /**
     * Whether a dry run's failure is Convex's own limit on one mutation ("Wrote too many documents in a single function
     * execution ... This is a Convex limit"), not the functions' budget for one migration (TOO_LARGE), which the
     * apply would meet as well.
     */
    private static boolean overOneMutation(Map<String, Object> error) {
        return error != null && !"TOO_LARGE".equals(error.get("code")) && error.get("message") instanceof String message
                && message.matches("(?is).*(in a single function execution|this is a convex limit|too many index"
                + " ranges).*");
    }

    @Override
    public void record(Migration migration, RunInfo run) {
        Map<String, Object> args = Map.of("version", migration.version().text(), "name", migration.name(),
                "checksum", migration.convex().orElseThrow().checksum(), "owner", owner("record"), "runId", run.runId(),
                "appliedBy", run.appliedBy());
        call(migration, () -> {
            functions.recordMigration(args);
            return null;
        });
    }

    @Override
    public void updateChecksum(Version version, String checksum) {
        String owner = owner("updateChecksum");
        call(null, () -> {
            functions.updateChecksum(version.text(), checksum, owner);
            return null;
        });
    }

    @Override
    public void close() {
        release();
    }

    /** The lease owner every write carries; a write without the lock is a bug in the caller. */
    private String owner(String method) {
        ConvexLease held = lease;
        if (held == null) {
            throw new IllegalStateException("ConvexTarget." + method + " needs the run lock; call lock() first");
        }
        return held.owner();
    }

    /** What every recorded write carries besides the migration: the lease owner, the run, the budget. */
    private Map<String, Object> writeArgs(Map<String, Object> args, RunInfo run, String owner) {
        args.put("owner", owner);
        args.put("runId", run.runId());
        args.put("appliedBy", run.appliedBy());
        putLimits(args);
        return args;
    }

    private void putLimits(Map<String, Object> args) {
        if (options.limits() != null) {
            args.put("limits", options.limits());
        }
    }

    private static long encodedSize(Object value) {
        return ConvexValues.encode(value).toString().length();
    }

    private static <T> T call(Migration migration, Supplier<T> call) {
        try {
            return call.get();
        } catch (ConvexException.FunctionError e) {
            throw ConvexFailures.functionFailed(migration, e);
        } catch (ConvexException.TransportError e) {
            throw ConvexFailures.unreachable(migration, e);
        }
    }
}
