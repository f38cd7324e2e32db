package dev.cryoprotect.migrate;

import dev.cryoprotect.migrate.database.DatabaseTarget;
import dev.cryoprotect.migrate.model.AppliedMigration;
import dev.cryoprotect.migrate.model.Database;
import dev.cryoprotect.migrate.model.MigrationSet;
import dev.cryoprotect.migrate.model.StepOutcome;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.plan.Planner;
import dev.cryoprotect.migrate.report.ErrorReport;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.report.StatusReport;
import dev.cryoprotect.migrate.report.StatusTable;
import dev.cryoprotect.migrate.report.StepEvent;
import dev.cryoprotect.migrate.report.UniversalPlan;
import dev.cryoprotect.migrate.report.UniversalResult;
import dev.cryoprotect.migrate.source.MigrationSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The verbs over several databases at once, as the CLI and the Lambda handlers both run them: Supabase before Convex
 * for apply, repair and baseline (Convex data builds on the Supabase schema), Convex before Supabase for rollback, each
 * stopping at the first database that fails; and the universal run, which puts Supabase back when Convex fails.
 */
public final class Orchestrator {

    /**
     * How every database's {@link Migrator} is configured.
     *
     * @param runId the id recorded with every history row written (null: a new one per call; a universal run makes
     *              one for all its steps)
     */
    public record Settings(MigrationSource source, Duration lockTimeout, boolean outOfOrder, String appliedBy,
                           Consumer<StepEvent> listener, Consumer<String> warnings, String runId) {
        public Settings withRunId(String id) {
            return new Settings(source, lockTimeout, outOfOrder, appliedBy, listener, warnings, id);
        }
    }

    private final List<DatabaseTarget> targets;
    private final Settings settings;

    /** @param targets the selected databases, Supabase first */
    public Orchestrator(List<DatabaseTarget> targets, Settings settings) {
        this.targets = List.copyOf(targets);
        this.settings = settings;
    }

    private Migrator migrator(DatabaseTarget target) {
        return migrator(target, settings.runId());
    }

    private Migrator migrator(DatabaseTarget target, String runId) {
        return migrator(target, runId, null);
    }

    private Migrator migrator(DatabaseTarget target, String runId, Supplier<MigrationSet> files) {
        return Migrator.configure().source(settings.source()).target(target).lockTimeout(settings.lockTimeout())
                .outOfOrder(settings.outOfOrder()).appliedBy(settings.appliedBy()).listener(settings.listener())
                .warnings(settings.warnings()).runId(runId).files(files).load();
    }

    /**
     * The files read and checked at most once for all databases of one run: both see the same set, and a large folder
     * is not parsed twice. A folder that fails to load fails each time it is asked.
     */
    private Supplier<MigrationSet> readOnce() {
        MigrationSet[] read = {null};
        return () -> {
            synchronized (read) {
                if (read[0] == null) {
                    read[0] = migrator(targets.get(0)).migrations();
                }
                return read[0];
            }
        };
    }

    /** Every database side by side. */
    public StatusTable status() {
        // Each database's history is read on a thread of its own while this one reads the files once: status waits
        // for the slowest of them, not for their sum (Convex over HTTP, PostgreSQL over JDBC).
        List<CompletableFuture<List<AppliedMigration>>> histories = new ArrayList<>();
        for (DatabaseTarget target : targets) {
            CompletableFuture<List<AppliedMigration>> history = new CompletableFuture<>();
            Thread reader = new Thread(() -> {
                try {
                    history.complete(target.applied());
                } catch (RuntimeException | Error e) {
                    history.completeExceptionally(e);
                }
            }, "status-" + target.database().id());
            reader.setDaemon(true);
            reader.start();
            histories.add(history);
        }
        MigrationSet set = migrator(targets.get(0)).migrations();
        List<StatusReport> reports = new ArrayList<>();
        Map<String, ErrorReport> errors = new LinkedHashMap<>();
        MigrateException first = null;
        for (int i = 0; i < targets.size(); i++) {
            List<AppliedMigration> history;
            try {
                history = histories.get(i).join();
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof MigrateException failure)) {
                    throw e.getCause() instanceof RuntimeException other ? other : e;
                }
                // One unreachable database does not hide the others: it is listed with its error (and the command
                // still fails); only when none can be read is the error the whole answer.
                errors.put(targets.get(i).database().id(), ErrorReport.of(failure));
                first = first == null ? failure : first;
                continue;
            }
            reports.add(Migrator.status(set, targets.get(i), history));
        }
        if (reports.isEmpty() && first != null) {
            throw first;
        }
        return StatusTable.of(reports, errors, null);
    }

    public List<RunResult> apply(Version target, boolean dryRun) {
        return apply(target, dryRun, false);
    }

    /** With {@code resume}, each database first finishes what an interrupted run left (see {@link Migrator}). */
    public List<RunResult> apply(Version target, boolean dryRun, boolean resume) {
        return each("apply", dryRun, targets, m -> m.apply(target, dryRun, resume), m -> m.checkApply(target));
    }

    public List<RunResult> rollback(Version target, boolean dryRun) {
        return rollback(target, dryRun, false);
    }

    /** Newest layer (Convex) first; with {@code resume}, each first finishes an interrupted rollback or undoes a partial apply. */
    public List<RunResult> rollback(Version target, boolean dryRun, boolean resume) {
        List<DatabaseTarget> newestLayerFirst = new ArrayList<>(targets);
        Collections.reverse(newestLayerFirst);
        return each("rollback", dryRun, newestLayerFirst, m -> m.rollback(target, dryRun, resume),
                m -> m.describeRollback(target, resume));
    }

    /**
     * What a rollback to {@code target} would do on each database, newest layer first, one line each ("convex: roll
     * back 003, 002"), without running anything: what a production environment shows before asking.
     */
    public List<String> rollbackPlan(Version target, boolean resume) {
        List<DatabaseTarget> newestLayerFirst = new ArrayList<>(targets);
        Collections.reverse(newestLayerFirst);
        List<String> lines = new ArrayList<>();
        for (DatabaseTarget t : newestLayerFirst) {
            lines.add(t.database().id() + ": " + migrator(t).describeRollback(target, resume));
        }
        return lines;
    }

    public List<RunResult> repair() {
        return each("repair", false, targets, Migrator::repair, Migrator::checkReachable);
    }

    public List<RunResult> adoptForeignHistory() {
        return each("baseline", false, targets, Migrator::adoptForeignHistory, Migrator::checkReachable);
    }

    public List<RunResult> baseline(Version version) {
        return each("baseline", false, targets, m -> m.baseline(version), m -> m.checkBaseline(version));
    }

    /**
     * A later database that would refuse before running anything (unreachable, a changed or missing file, a blank
     * template, a missing down file, a history that baseline will not mark over) refuses the whole run now, before the
     * first database changes: found after it, the two would be left apart.
     */
    private static void refuseBeforeStart(String run, DatabaseTarget later, String refusing, Runnable check) {
        try {
            check.run();
        } catch (MigrateException refused) {
            throw new MigrateException(refused.failure(), run + " did not start, nothing ran on any database: "
                    + later.database().id() + " would " + refusing + ": " + refused.getMessage(), refused.file(),
                    refused.line(), refused);
        }
    }

    /**
     * Runs {@code action} on each database in order, stopping at the first that fails. A database that refuses before
     * running anything (unreachable, lock busy, history conflict) throws; when an earlier database already ran, that
     * refusal becomes its failed result beside the earlier ones, so what the earlier database did is still reported.
     */
    private List<RunResult> each(String operation, boolean dryRun, List<DatabaseTarget> ordered,
                                 Function<Migrator, RunResult> action, Consumer<Migrator> check) {
        List<RunResult> results = new ArrayList<>();
        Supplier<MigrationSet> files = readOnce();
        List<DatabaseTarget> later = ordered.subList(Math.min(1, ordered.size()), ordered.size());
        for (DatabaseTarget t : later) {
            // A lock busy there still can only be found by trying; the loop below then reports what the first did.
            refuseBeforeStart(operation, t, "refuse", () -> check.accept(migrator(t, settings.runId(), files)));
        }
        for (DatabaseTarget target : ordered) {
            Supplier<RunResult> run = () -> action.apply(migrator(target, settings.runId(), files));
            // Nothing ran anywhere yet: a refusal is the whole answer. After a database ran, it is this one's result.
            RunResult result = results.isEmpty() ? run.get() : attempt(target.database(), operation, dryRun,
                    settings.runId(), run);
            results.add(result);
            if (!result.success()) {
                break;
            }
        }
        return results;
    }

    /**
     * What a universal run will work towards, fixed before it starts: the target (the one given, else the highest
     * version of the files now), so every step applies the same set even if files are uploaded meanwhile; and where
     * each database is now (informational: the versions that count are read under each database's lock).
     */
    public UniversalPlan plan(Version target) {
        Supplier<MigrationSet> files = readOnce(); // one read of the folder for every database's status and check
        MigrationSet set = files.get();
        Version pinned = target != null ? target : set.latest().orElse(null);
        Map<String, UniversalPlan.DatabasePlan> databases = new LinkedHashMap<>();
        for (DatabaseTarget t : targets) {
            StatusReport report = migrator(t, settings.runId(), files).status();
            databases.put(report.database(), new UniversalPlan.DatabasePlan(report.currentVersion(), report.pending(),
                    report.ok()));
        }
        for (DatabaseTarget t : targets.stream().filter(t -> t.database() != Database.SUPABASE).toList()) {
            refuseBeforeStart("the universal run", t, "refuse to apply",
                    () -> migrator(t, settings.runId(), files).checkApply(pinned));
        }
        return new UniversalPlan(pinned == null ? null : pinned.text(), databases.containsKey(Database.CONVEX.id()),
                databases);
    }

    /**
     * The universal run (the state machine runs the same steps): plan (target pinned), Supabase, then Convex when
     * selected, all under one run id. If either apply fails in a real run after this run changed anything, the run is
     * compensated: Convex first, then Supabase, each back to the version it had under its lock when this run started
     * ({@link #compensate}). A dry run never compensates: it changed nothing.
     */
    public UniversalResult universal(Version target, boolean dryRun) {
        DatabaseTarget supabase = targets.stream().filter(t -> t.database() == Database.SUPABASE).findFirst()
                .orElseThrow(() -> MigrateException.badInput("a universal run needs the Supabase database"));
        Optional<DatabaseTarget> convex = targets.stream().filter(t -> t.database() == Database.CONVEX).findFirst();
        String runId = settings.runId() != null ? settings.runId() : UUID.randomUUID().toString();
        UniversalPlan plan = plan(target);
        Version pinned = plan.target() == null ? null : Version.parse(plan.target());
        if (!dryRun && convex.isPresent()) {
            warnIfSupabaseCannotBeUndone(plan, pinned);
        }

        RunResult supabaseResult = attempt(Database.SUPABASE, "apply", dryRun, runId,
                () -> migrator(supabase, runId).apply(pinned, dryRun));
        RunResult convexResult = supabaseResult.success() && convex.isPresent()
                ? attempt(Database.CONVEX, "apply", dryRun, runId,
                () -> migrator(convex.get(), runId).apply(pinned, dryRun)) : null;
        if (supabaseResult.success() && (convexResult == null || convexResult.success())) {
            return result(plan, supabaseResult, convexResult, List.of(), true, convex.isEmpty()
                    ? "Supabase only (Convex disabled): " + supabaseResult.message()
                    : dryRun ? "dry run on Supabase and Convex: nothing failed, nothing changed (each database's"
                    + " steps say what would apply or could not be tried)" : "applied to Supabase and Convex", null);
        }
        RunResult failed = supabaseResult.success() ? convexResult : supabaseResult;
        String what = (failed == supabaseResult ? "Supabase" : "Convex") + " failed"
                + (failed == supabaseResult && convex.isPresent() ? " (Convex was not started)" : "");
        if (dryRun) {
            return result(plan, supabaseResult, convexResult, List.of(), false, what + "; a dry run changes nothing,"
                    + " so nothing was compensated", failed.error());
        }
        if (!changedAnything(supabaseResult) && !changedAnything(convexResult)) {
            return result(plan, supabaseResult, convexResult, List.of(), false, what + "; this run changed nothing",
                    failed.error());
        }
        List<RunResult> compensation = compensate(runId);
        boolean compensated = compensation.stream().allMatch(RunResult::success);
        String message = compensated
                ? what + "; this run was undone: " + ended(compensation)
                : what + ", and undoing this run failed too: " + compensation.get(compensation.size() - 1).message()
                + "; once that is fixed, " + undoAdvice(plan, changedAnything(convexResult), changedAnything(supabaseResult));
        return result(plan, supabaseResult, convexResult, compensation, false, message, failed.error());
    }

    /**
     * The commands that take each database this run changed back to where the run found it, newest layer first.
     * ({@code rollback --resume} alone would do nothing when the failed undo ran in a transaction and left no trace.)
     */
    private static String undoAdvice(UniversalPlan plan, boolean convexChanged, boolean supabaseChanged) {
        List<String> commands = new ArrayList<>();
        for (Database database : List.of(Database.CONVEX, Database.SUPABASE)) {
            UniversalPlan.DatabasePlan was = plan.databases().get(database.id());
            if (was != null && (database == Database.CONVEX ? convexChanged : supabaseChanged)) {
                String start = startOf(was).map(Version::text).orElse("000"); // 000: before everything
                commands.add("'migrate rollback --database " + database.id() + " --target " + start + "'");
            }
        }
        return String.join(" then ", commands) + " take" + (commands.size() == 1 ? "s it" : " them") + " back to where"
                + " this run found " + (commands.size() == 1 ? "it" : "them") + " ('migrate status' first: a version"
                + " stopped part way needs --resume)";
    }

    /** The version a database had when the run was planned; empty when it had none. */
    private static Optional<Version> startOf(UniversalPlan.DatabasePlan plan) {
        String version = plan.currentVersion();
        return version == null || version.isEmpty() || version.equals("none") ? Optional.empty()
                : Optional.of(Version.parse(version));
    }

    /** Said before Supabase changes: the versions this run applies there that an undo could not take back. */
    private void warnIfSupabaseCannotBeUndone(UniversalPlan plan, Version pinned) {
        UniversalPlan.DatabasePlan supabase = plan.databases().get(Database.SUPABASE.id());
        UniversalPlan.DatabasePlan convex = plan.databases().get(Database.CONVEX.id());
        if (supabase == null || convex == null || convex.pending() == 0 || supabase.pending() == 0) {
            return;
        }
        Version from = startOf(supabase).orElse(null);
        List<String> noDown = readOnce().get().touching(Database.SUPABASE).stream()
                .filter(m -> (from == null || m.version().compareTo(from) > 0)
                        && (pinned == null || m.version().compareTo(pinned) <= 0) && m.down().isEmpty())
                .map(m -> m.version().text()).toList();
        if (!noDown.isEmpty()) {
            settings.warnings().accept("the universal run: if Convex then fails, Supabase's " + String.join(", ",
                    noDown.subList(0, Math.min(10, noDown.size()))) + (noDown.size() > 10 ? ", ..." : "") + " cannot be"
                    + " undone (no .down.sql): the two databases would be left apart");
        }
    }

    /** Whether a result may have left something behind: a step that applied, or one that failed part way. */
    private static boolean changedAnything(RunResult result) {
        return result != null && result.steps().stream().anyMatch(s -> s.outcome() == StepOutcome.APPLIED
                || s.outcome() == StepOutcome.FAILED);
    }

    /**
     * Undoes what run {@code runId} applied, newest layer first (Convex, then Supabase), each database back to the
     * version it had when the run started; stops at the first database it cannot undo, leaving the older layer as it is
     * (a Supabase schema behind Convex's data would be the worse state).
     */
    public List<RunResult> compensate(String runId) {
        List<DatabaseTarget> newestLayerFirst = new ArrayList<>(targets);
        Collections.reverse(newestLayerFirst);
        List<RunResult> results = new ArrayList<>();
        for (DatabaseTarget t : newestLayerFirst) {
            RunResult r = attempt(t.database(), "rollback", false, runId, () -> migrator(t).undoRun(runId));
            results.add(r);
            if (!r.success()) {
                break;
            }
        }
        return results;
    }

    /**
     * A step that may fail before it runs anything (lock busy, unreachable) as a failed result, not an exception; the
     * database's versions are unknown then (it may not answer).
     */
    private static RunResult attempt(Database database, String operation, boolean dryRun, String runId,
                                     Supplier<RunResult> step) {
        try {
            return step.get();
        } catch (MigrateException e) {
            return new RunResult(database.id(), operation, dryRun, runId, Migrator.UNKNOWN_VERSION,
                    Migrator.UNKNOWN_VERSION, List.of(), false, e.getMessage(), ErrorReport.of(e));
        }
    }

    private static String ended(List<RunResult> compensation) {
        return String.join(", ", compensation.stream().map(r -> r.database() + " at "
                + (r.finalVersion().isEmpty() ? "no version" : "version " + r.finalVersion())).toList());
    }

    /** The result, with where each database ended as its history says now. */
    private UniversalResult result(UniversalPlan plan, RunResult supabase, RunResult convex, List<RunResult> compensation,
                                   boolean success, String message, ErrorReport error) {
        Map<String, String> ended = new LinkedHashMap<>();
        for (DatabaseTarget t : targets) {
            try {
                ended.put(t.database().id(), Planner.currentVersion(t.applied()));
            } catch (MigrateException e) {
                ended.put(t.database().id(), null); // unknown: unreachable now
            }
        }
        return new UniversalResult(plan.target(), supabase, convex, compensation, ended, success, message, error);
    }
}
