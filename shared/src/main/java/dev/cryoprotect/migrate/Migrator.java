package dev.cryoprotect.migrate;

import dev.cryoprotect.migrate.database.DatabaseTarget;
import dev.cryoprotect.migrate.model.AppliedMigration;
import dev.cryoprotect.migrate.model.Database;
import dev.cryoprotect.migrate.model.Migration;
import dev.cryoprotect.migrate.model.MigrationPart;
import dev.cryoprotect.migrate.model.MigrationSet;
import dev.cryoprotect.migrate.model.MigrationState;
import dev.cryoprotect.migrate.model.RunInfo;
import dev.cryoprotect.migrate.model.StepOutcome;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.plan.Planner;
import dev.cryoprotect.migrate.report.ErrorReport;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.report.StatusEntry;
import dev.cryoprotect.migrate.report.StatusReport;
import dev.cryoprotect.migrate.report.StepEvent;
import dev.cryoprotect.migrate.report.StepResult;
import dev.cryoprotect.migrate.source.MigrationLoader;
import dev.cryoprotect.migrate.source.MigrationScaffold;
import dev.cryoprotect.migrate.source.MigrationSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Runs migrations from one source against one database target:
 * <pre>{@code
 * RunResult result = Migrator.configure().source(source).target(target).load().apply(null, false);
 * }</pre>
 * Every verb reads the files afresh, takes the target's lock for anything that writes, re-reads the history under
 * the lock, plans, and runs. Failures that stop a run before it starts are thrown as {@link MigrateException}; a
 * migration that fails mid-run is reported in the returned {@link RunResult} with the steps that completed.
 */
public final class Migrator {
    /** A failed run's final version when the database could not be asked after the failure. */
    public static final String UNKNOWN_VERSION = "unknown";

    private final MigrationSource source;
    private final DatabaseTarget target;
    private final Duration lockTimeout;
    private final boolean outOfOrder;
    private final String appliedBy;
    private final String runId;
    private final java.util.function.Consumer<StepEvent> listener;
    private final java.util.function.Consumer<String> warnings;
    /** The files as read once for every database of a run, or null to read them here. */
    private final java.util.function.Supplier<MigrationSet> files;

    private Migrator(Builder b) {
        this.source = Objects.requireNonNull(b.source, "source");
        this.target = Objects.requireNonNull(b.target, "target");
        this.lockTimeout = b.lockTimeout;
        this.outOfOrder = b.outOfOrder;
        this.appliedBy = b.appliedBy;
        this.runId = b.runId;
        this.listener = b.listener;
        this.warnings = b.warnings;
        this.files = b.files;
    }

    public static Builder configure() {
        return new Builder();
    }

    /**
     * Reads and validates the migration files (throws {@link MigrateException} BAD_INPUT listing every problem); what
     * loading noticed without refusing (skipped files, absorbed BEGIN/COMMIT) goes to the warnings listener.
     */
    public MigrationSet migrations() {
        if (files != null) {
            return files.get();
        }
        MigrationSet set = MigrationLoader.load(source);
        set.warnings().forEach(warnings);
        return set;
    }

    public StatusReport status() {
        MigrationSet set = migrations();
        return status(set, target, target.applied());
    }

    /** A database's status from the migrations and its history, however they were read. */
    public static StatusReport status(MigrationSet set, DatabaseTarget target, List<AppliedMigration> history) {
        List<StatusEntry> entries = Planner.status(set, target.database(), history);
        if (!Planner.unfinished(history).isEmpty()) {
            // A version "stopped part way" may be one another run is still working on: say so, rather than advise
            // --resume to a run that would only wait for that one.
            java.util.Optional<String> holder = target.runInProgress();
            if (holder.isPresent()) {
                entries = entries.stream().map(e -> e.detail() == null ? e : new StatusEntry(e.version(), e.name(),
                        e.file(), e.state(), e.appliedAt(), e.appliedBy(), e.appliedChecksum(), e.fileChecksum(),
                        e.recordedIn(), "a run holds the lock now (" + holder.get() + "): it may still be working on"
                        + " this version; look again when it ends. If it is not: " + e.detail())).toList();
            }
        }
        return StatusReport.of(target.database().id(), target.describe(), Planner.currentVersion(history), entries);
    }

    /** Applies pending migrations up to {@code targetVersion} (all when null); a dry run leaves no trace. */
    public RunResult apply(Version targetVersion, boolean dryRun) {
        return apply(targetVersion, dryRun, false);
    }

    /**
     * As {@link #apply(Version, boolean)}; with {@code resume}, first finishes what an interrupted run left: a
     * PARTIAL apply is completed, a ROLLING_BACK rollback is finished. Without it such a version refuses the run.
     */
    public RunResult apply(Version targetVersion, boolean dryRun, boolean resume) {
        MigrationSet set = migrations();
        RunInfo run = newRun();
        try (DatabaseTarget.Lock ignored = target.lock(lockTimeout, warnings)) {
            List<AppliedMigration> history = target.applied();
            String initial = Planner.currentVersion(history);
            List<StepResult> steps = new ArrayList<>();
            if (resume && !dryRun && !Planner.unfinished(history).isEmpty()) {
                target.prepare();
                MigrateException failure = finishUnfinished(set, Planner.unfinished(history), run, steps, true);
                if (failure != null) {
                    return failed("apply", run, initial, steps, failure);
                }
                history = target.applied();
            }
            List<Migration> plan = Planner.toApply(set, target.database(), history, targetVersion, outOfOrder);
            refuseUneditedTemplates(plan);
            if (plan.isEmpty()) {
                String current = Planner.currentVersion(history);
                return done("apply", dryRun, run, initial, steps, (steps.isEmpty() ? "" : "finished " + steps.size()
                        + " interrupted migration(s); ") + "nothing to apply: " + target.database().id()
                        + " is up to date" + (current.isEmpty() ? "" : " at version " + current));
            }
            if (dryRun) {
                return dryRunResult("apply", run, initial, target.dryRun(plan, true, run));
            }
            target.prepare(); // only now: a refused or empty run leaves no history table behind
            int[] landed = {0};
            long[] started = {System.nanoTime()};
            try {
                target.applyInOrder(plan, run, row -> {
                    Migration m = plan.get(landed[0]++);
                    if (!m.version().equals(row.version())) {
                        throw new IllegalStateException("applied " + row.version().text() + " out of order, before "
                                + m.version().text());
                    }
                    step(steps, run, "apply", false, new StepResult(m.version().text(), m.name(),
                            m.part(target.database()).orElseThrow().fileName(), StepOutcome.APPLIED,
                            row.executionMs() == null ? millisSince(started[0]) : row.executionMs(), null));
                    started[0] = System.nanoTime();
                });
            } catch (MigrateException e) {
                if (landed[0] == plan.size()) {
                    throw e; // all landed: what failed came after them, and is no migration's
                }
                Migration m = plan.get(landed[0]); // the first that did not land is the one that failed
                step(steps, run, "apply", false, new StepResult(m.version().text(), m.name(),
                        m.part(target.database()).orElseThrow().fileName(), StepOutcome.FAILED, millisSince(started[0]),
                        e.getMessage()));
                return failed("apply", run, initial, steps, e);
            }
            return done("apply", false, run, initial, steps, "applied " + steps.size() + " migration"
                    + (steps.size() == 1 ? "" : "s") + " to " + target.database().id());
        }
    }

    /**
     * Ends every unfinished version, oldest first: {@code forward} completes a PARTIAL apply, otherwise it is undone;
     * a ROLLING_BACK rollback is always finished. Returns the failure that stopped it, or null.
     */
    private MigrateException finishUnfinished(MigrationSet set, List<AppliedMigration> unfinished, RunInfo run,
                                              List<StepResult> steps, boolean forward) {
        for (AppliedMigration row : unfinished) {
            Migration m = set.find(row.version()).filter(x -> x.touches(target.database())).orElse(null);
            if (m == null) {
                return new MigrateException(Failure.HISTORY_CONFLICT, "version " + row.version().text() + " ("
                        + row.name() + ") stopped part way but no file has it any more; restore the file to finish or"
                        + " undo it");
            }
            boolean complete = forward && row.state() == AppliedMigration.State.PARTIAL;
            MigrationPart part = m.part(target.database()).orElseThrow();
            if (complete && !part.matches(row.checksum())) {
                // Continuing an edited file from where the old one stopped would run neither file as written.
                MigrateException e = Planner.unfinishedConflict(set, target.database(), "finish the interrupted apply"
                        + " on", List.of(row));
                step(steps, run, "apply", false, new StepResult(m.version().text(), m.name(), part.fileName(),
                        StepOutcome.FAILED, 0, e.getMessage()));
                return e;
            }
            String file = complete ? part.fileName() : downFileOf(m);
            if (file == null) {
                // Undoing it needs its down file; continuing it ('apply --resume') does not.
                MigrateException e = new MigrateException(Failure.BAD_INPUT, part.fileName() + " stopped part way and"
                        + " has no down file to undo it: write " + part.fileName().replaceFirst("\\.sql$", ".down.sql")
                        + " (with IF EXISTS), or finish it instead with 'migrate apply --database "
                        + target.database().id() + " --resume --target " + m.version().text() + "'", part.fileName(),
                        null, null);
                step(steps, run, "rollback", false, new StepResult(m.version().text(), m.name(), part.fileName(),
                        StepOutcome.FAILED, 0, e.getMessage()));
                return e;
            }
            if (!complete && target.database() == Database.SUPABASE && row.checksum() != null
                    && !part.matches(row.checksum())) {
                warnings.accept(changedNotice(part.fileName(), file)); // as a plain rollback says it
            }
            long started = System.nanoTime();
            try {
                if (complete) {
                    target.apply(m, run);
                } else {
                    target.rollback(m, run);
                }
                step(steps, run, complete ? "apply" : "rollback", false, new StepResult(m.version().text(), m.name(),
                        file, complete ? StepOutcome.APPLIED : StepOutcome.ROLLED_BACK, millisSince(started),
                        complete ? "finished an apply that had stopped part way"
                                : row.state() == AppliedMigration.State.PARTIAL ? "undid an apply that had stopped part way"
                                : "finished a rollback that had stopped part way"));
            } catch (MigrateException e) {
                step(steps, run, complete ? "apply" : "rollback", false, new StepResult(m.version().text(), m.name(),
                        file, StepOutcome.FAILED, millisSince(started), e.getMessage()));
                return e;
            }
        }
        return null;
    }

    /**
     * Rolls back the latest applied migration, or every one above {@code targetVersion} (0 for all), newest first.
     */
    public RunResult rollback(Version targetVersion, boolean dryRun) {
        return rollback(targetVersion, dryRun, false);
    }

    /**
     * As {@link #rollback(Version, boolean)}; with {@code resume}, first ends what an interrupted run left: a
     * ROLLING_BACK rollback is finished and a PARTIAL apply undone. Without a target that is all it does.
     */
    public RunResult rollback(Version targetVersion, boolean dryRun, boolean resume) {
        MigrationSet set = migrations();
        RunInfo run = newRun();
        try (DatabaseTarget.Lock ignored = target.lock(lockTimeout, warnings)) {
            if (!dryRun) {
                target.prepare();
            }
            List<AppliedMigration> history = target.applied();
            String initial = Planner.currentVersion(history);
            List<StepResult> steps = new ArrayList<>();
            if (resume && !dryRun && !Planner.unfinished(history).isEmpty()) {
                MigrateException failure = finishUnfinished(set, Planner.unfinished(history), run, steps, false);
                if (failure != null) {
                    return failed("rollback", run, initial, steps, failure);
                }
                if (targetVersion == null) {
                    return done("rollback", false, run, initial, steps, "finished " + steps.size()
                            + " interrupted migration(s) on " + target.database().id());
                }
                history = target.applied();
            } else if (resume && targetVersion == null && Planner.unfinished(history).isEmpty()) {
                // --resume alone ends an interrupted run and nothing more: after a failed universal run it is the
                // advice given, and it must not roll back a version that run never touched.
                return done("rollback", dryRun, run, initial, steps, "nothing to resume on " + target.database().id()
                        + ": no interrupted migration" + (initial.isEmpty() ? "" : "; at version " + initial)
                        + " (without --resume, rollback rolls back the latest migration)");
            }
            List<Migration> plan = Planner.toRollback(set, target.database(), history, targetVersion);
            if (plan.isEmpty()) {
                return done("rollback", dryRun, run, initial, steps, "nothing to roll back on "
                        + target.database().id() + (initial.isEmpty() ? "" : ": at version " + initial));
            }
            warnOfChangedFiles(set, plan, history);
            if (dryRun) {
                return dryRunResult("rollback", run, initial, target.dryRun(plan, false, run));
            }
            return rollBack(plan, run, initial, steps);
        }
    }

    /**
     * Refuses, as {@link #apply} would, before anything runs: a changed, missing or out-of-order file, or a blank
     * template. Read without the lock, so a version another run is applying right now (unfinished in the history) is
     * left to the apply, which waits for that run's lock.
     */
    public void checkApply(Version targetVersion) {
        List<AppliedMigration> history = target.applied();
        if (Planner.unfinished(history).isEmpty()) {
            refuseUneditedTemplates(Planner.toApply(migrations(), target.database(), history, targetVersion, outOfOrder));
        }
    }

    /** A file still exactly as {@code migrate create} wrote it is a blank migration: never run, never recorded. */
    private void refuseUneditedTemplates(List<Migration> plan) {
        List<String> blank = plan.stream().map(m -> m.part(target.database()).filter(p -> MigrationScaffold.isUnedited(m, p)))
                .flatMap(java.util.Optional::stream).map(MigrationPart::fileName).toList();
        if (!blank.isEmpty()) {
            throw new MigrateException(Failure.BAD_INPUT, String.join(", ", blank) + (blank.size() == 1 ? " is" : " are")
                    + " still the template 'migrate create' wrote: write the migration, or delete the file, before"
                    + " applying to " + target.database().id() + "; nothing was run", blank.get(0), null, null);
        }
    }

    /**
     * Before a rollback runs: names each version of {@code plan} whose file changed since it was applied (CHANGED in
     * status), since its down file may match the edited file rather than what was applied. The rollback still runs,
     * as before: the down file may well be right, and only the user can tell. Supabase only: Convex undoes the inverse
     * it recorded at apply time, whatever the file says now.
     */
    private void warnOfChangedFiles(MigrationSet set, List<Migration> plan, List<AppliedMigration> history) {
        if (target.database() != Database.SUPABASE) {
            return;
        }
        java.util.Map<String, StatusEntry> changed = new java.util.HashMap<>();
        Planner.status(set, target.database(), history).stream().filter(e -> e.state() == MigrationState.CHANGED)
                .forEach(e -> changed.put(e.version(), e));
        for (Migration m : plan) {
            StatusEntry e = changed.get(m.version().text());
            if (e != null) {
                warnings.accept(changedNotice(e.file(), downFileOf(m)));
            }
        }
    }

    private String changedNotice(String file, String downFile) {
        return file + " changed since it was applied to " + target.database().id() + ": rolling back with " + downFile
                + " as it is now, which may not undo what was applied";
    }

    /** Runs the down side of {@code plan} in its order, after the {@code steps} already taken in this run. */
    private RunResult rollBack(List<Migration> plan, RunInfo run, String initial, List<StepResult> steps) {
        for (Migration m : plan) {
            String file = downFileOf(m);
            long started = System.nanoTime();
            try {
                target.rollback(m, run);
                step(steps, run, "rollback", false, new StepResult(m.version().text(), m.name(), file,
                        StepOutcome.ROLLED_BACK, millisSince(started), null));
            } catch (MigrateException e) {
                step(steps, run, "rollback", false, new StepResult(m.version().text(), m.name(), file, StepOutcome.FAILED,
                        millisSince(started), e.getMessage()));
                return failed("rollback", run, initial, steps, e);
            }
        }
        return done("rollback", false, run, initial, steps, "rolled back " + steps.size() + " migration"
                + (steps.size() == 1 ? "" : "s") + " on " + target.database().id());
    }

    /**
     * Undoes what the run {@code undoneRunId} did to this database, newest first: first ends what it left unfinished,
     * then rolls back every version whose history row carries its id. The compensation of a universal run, which
     * thereby returns the database to the version that run found under the lock. Refuses (HISTORY_CONFLICT, nothing
     * rolled back) when another run has since applied versions on top of it.
     */
    public RunResult undoRun(String undoneRunId) {
        MigrationSet set = migrations();
        RunInfo run = newRun();
        List<AppliedMigration> before = target.applied();
        if (before.stream().noneMatch(r -> undoneRunId.equals(r.runId()))) {
            // Read without the lock: only the run being undone writes rows of its id, and it has ended. A database the
            // run never changed (its lock was busy, say) needs no lock to say so, and must not stop the undo of the
            // other database by being busy.
            return done("rollback", false, run, Planner.currentVersion(before), new ArrayList<>(), "nothing of run "
                    + undoneRunId + " to undo on " + target.database().id());
        }
        try (DatabaseTarget.Lock ignored = target.lock(lockTimeout, warnings)) {
            List<AppliedMigration> history = target.applied();
            String initial = Planner.currentVersion(history);
            List<StepResult> steps = new ArrayList<>();
            List<AppliedMigration> unfinished = Planner.unfinished(history).stream()
                    .filter(r -> undoneRunId.equals(r.runId())).toList();
            if (!unfinished.isEmpty()) {
                target.prepare();
                MigrateException failure = finishUnfinished(set, unfinished, run, steps, false);
                if (failure != null) {
                    return failed("rollback", run, initial, steps, failure);
                }
                history = target.applied();
            }
            List<AppliedMigration> ours = history.stream()
                    .filter(r -> !r.unfinished() && undoneRunId.equals(r.runId())).toList();
            if (ours.isEmpty()) {
                return done("rollback", false, run, initial, steps, (steps.isEmpty() ? "nothing" : "nothing more")
                        + " of run " + undoneRunId + " to undo on " + target.database().id());
            }
            Version lowest = ours.stream().map(AppliedMigration::version).min(Version::compareTo).orElseThrow();
            List<String> onTop = history.stream().filter(r -> r.version().compareTo(lowest) > 0
                    && !undoneRunId.equals(r.runId())).map(r -> r.version().text()).toList();
            if (!onTop.isEmpty()) {
                throw new MigrateException(Failure.HISTORY_CONFLICT, "cannot undo run " + undoneRunId + " on "
                        + target.database().id() + ": version(s) " + String.join(", ", onTop) + " were applied on top of"
                        + " it by another run; nothing was rolled back");
            }
            // Everything from the run's lowest version up (all of it the run's, checked above): a version below it is
            // kept, even one numbered 0000.
            List<AppliedMigration> fromLowest = history.stream().filter(r -> r.version().compareTo(lowest) >= 0)
                    .toList();
            target.prepare();
            List<Migration> plan = Planner.toRollbackAll(set, target.database(), fromLowest);
            warnOfChangedFiles(set, plan, fromLowest);
            return rollBack(plan, run, initial, steps);
        }
    }

    /**
     * What {@code rollback} would do, in words, without running or locking anything: with {@code resume}, first the interrupted
     * versions it ends (and, without a target, nothing more); then the versions it rolls back.
     */
    public String describeRollback(Version targetVersion, boolean resume) {
        List<AppliedMigration> history = target.applied();
        List<AppliedMigration> unfinished = Planner.unfinished(history);
        List<String> parts = new ArrayList<>();
        if (resume && !unfinished.isEmpty()) {
            parts.add("end the interrupted " + String.join(", ", unfinished.stream().map(r -> r.version().text() + " ("
                    + r.state() + ")").toList()));
            history = history.stream().filter(r -> !unfinished.contains(r)).toList();
        }
        if (!resume || targetVersion != null) {
            List<Migration> plan = Planner.toRollback(migrations(), target.database(), history, targetVersion);
            if (!plan.isEmpty()) {
                parts.add("roll back " + String.join(", ", plan.stream().map(m -> m.version().text()).toList()));
            }
        }
        return parts.isEmpty() ? (resume && targetVersion == null ? "nothing to resume" : "nothing to roll back")
                : String.join(", then ", parts);
    }

    /**
     * Records the current checksum of every applied file that changed (and of rows adopted without one). Call only
     * after the user confirmed the edits are intended: it makes the history agree with the files without running them.
     */
    public RunResult repair() {
        MigrationSet set = migrations();
        RunInfo run = newRun();
        try (DatabaseTarget.Lock ignored = target.lock(lockTimeout, warnings)) {
            target.prepare();
            List<AppliedMigration> history = target.applied();
            List<StepResult> steps = new ArrayList<>();
            List<String> missing = new ArrayList<>();
            for (StatusEntry e : Planner.status(set, target.database(), history)) {
                boolean unrecorded = e.state() == MigrationState.APPLIED && e.appliedChecksum() == null;
                if (e.state() == MigrationState.CHANGED || unrecorded) {
                    target.updateChecksum(Version.parse(e.version()), e.fileChecksum());
                    step(steps, run, "repair", false, new StepResult(e.version(), e.name(), e.file(), StepOutcome.CHECKSUM_UPDATED, 0,
                            unrecorded ? "recorded a checksum for a row adopted without one"
                                    : "recorded checksum " + e.fileChecksum().substring(0, 12)));
                } else if (e.state() == MigrationState.MISSING) {
                    missing.add(e.version() + " (" + e.name() + ")");
                }
            }
            String current = Planner.currentVersion(history);
            List<AppliedMigration> unfinished = Planner.unfinished(history);
            String message = !steps.isEmpty() ? "repaired " + steps.size() + " checksum" + (steps.size() == 1 ? "" : "s")
                    + " on " + target.database().id()
                    : unfinished.isEmpty() ? "nothing to repair on " + target.database().id()
                    : "no checksum to repair on " + target.database().id();
            if (!missing.isEmpty()) {
                message += "; applied versions without a file are left as they are: " + String.join(", ", missing);
            }
            if (!unfinished.isEmpty()) {
                // Repair records checksums; an interrupted apply or rollback needs --resume, and must not be hidden.
                message += "; " + Planner.unfinishedConflict(set, target.database(), "repair", unfinished).getMessage()
                        .replace("cannot repair " + target.database().id() + " while a migration is unfinished; nothing"
                                + " was run:\n  ", "still unfinished: ").replace("\n  ", "; ");
            }
            return new RunResult(target.database().id(), "repair", false, run.runId(), current, current, steps, true,
                    message, null);
        }
    }

    /**
     * Marks an existing database as already at {@code version}: records every migration up to it as applied without
     * running anything. Only for a database whose history is empty.
     */
    public RunResult baseline(Version version) {
        MigrationSet set = migrations();
        RunInfo run = newRun();
        Migration at = baselineFile(set, version);
        try (DatabaseTarget.Lock ignored = target.lock(lockTimeout, warnings)) {
            target.prepare();
            List<AppliedMigration> history = target.applied();
            refuseBaselineOver(history);
            List<StepResult> steps = new ArrayList<>();
            for (Migration m : set.touching(target.database())) {
                if (m.version().compareTo(at.version()) <= 0) {
                    target.record(m, run);
                    step(steps, run, "baseline", false, new StepResult(m.version().text(), m.name(),
                            m.part(target.database()).orElseThrow().fileName(), StepOutcome.BASELINED, 0, null));
                }
            }
            return done("baseline", false, run, "", steps, "marked " + target.database().id() + " as at version "
                    + version.text() + " (" + steps.size() + " migration(s) recorded, none run)");
        }
    }

    /**
     * What {@link #baseline} would refuse, looked at without the lock or any change: for a later database of the run,
     * checked before the first one is marked.
     */
    public void checkBaseline(Version version) {
        baselineFile(migrations(), version);
        refuseBaselineOver(target.applied());
    }

    private static Migration baselineFile(MigrationSet set, Version version) {
        return set.find(version).orElseThrow(() -> MigrateException.badInput("baseline --version " + version.text()
                + ": no migration file has that version"));
    }

    private void refuseBaselineOver(List<AppliedMigration> history) {
        if (!history.isEmpty()) {
            throw new MigrateException(Failure.HISTORY_CONFLICT, "cannot baseline " + target.database().id()
                    + ": its history already has " + history.size() + " applied migration(s), up to version "
                    + Planner.currentVersion(history) + "; baseline only marks a database that has none");
        }
    }

    /** For a later database of a run that only records (repair, baseline): it can be reached and its history read. */
    public void checkReachable() {
        target.applied();
    }

    /**
     * Records in this tool's history every version that only another tool's history has (the Supabase CLI's
     * {@code supabase_migrations.schema_migrations}), without running anything: {@code baseline --from-supabase-cli}.
     */
    public RunResult adoptForeignHistory() {
        MigrationSet set = migrations();
        RunInfo run = newRun();
        try (DatabaseTarget.Lock ignored = target.lock(lockTimeout, warnings)) {
            target.prepare();
            List<AppliedMigration> history = target.applied();
            List<StepResult> steps = new ArrayList<>();
            List<String> withoutFile = new ArrayList<>();
            String source = null;
            for (AppliedMigration row : history) {
                if (!row.foreign()) {
                    continue;
                }
                source = row.recordedIn();
                var migration = set.find(row.version()).filter(m -> m.touches(target.database()));
                if (migration.isEmpty()) {
                    withoutFile.add(row.version().text());
                    continue;
                }
                target.record(migration.get(), run);
                step(steps, run, "baseline", false, new StepResult(row.version().text(), migration.get().name(),
                        migration.get().part(target.database()).orElseThrow().fileName(), StepOutcome.BASELINED, 0,
                        "adopted from " + row.recordedIn()));
            }
            String current = Planner.currentVersion(history);
            String message = steps.isEmpty() && withoutFile.isEmpty() ? "nothing to adopt on " + target.database().id()
                    + ": no version is recorded only by another tool"
                    : "adopted " + steps.size() + " version(s) from " + source + " into the history of "
                    + target.database().id() + (withoutFile.isEmpty() ? "" : "; versions without a file are left as"
                    + " they are: " + String.join(", ", withoutFile));
            return new RunResult(target.database().id(), "baseline", false, run.runId(), current, current, steps, true,
                    message, null);
        }
    }

    private void step(List<StepResult> steps, RunInfo run, String operation, boolean dryRun, StepResult step) {
        steps.add(step);
        listener.accept(new StepEvent(run.runId(), target.database().id(), operation, dryRun, step));
    }

    private RunInfo newRun() {
        return new RunInfo(runId != null ? runId : UUID.randomUUID().toString(), appliedBy);
    }

    private RunResult done(String operation, boolean dryRun, RunInfo run, String initial, List<StepResult> steps,
                           String message) {
        String finalVersion = dryRun ? initial : Planner.currentVersion(target.applied());
        return new RunResult(target.database().id(), operation, dryRun, run.runId(), initial, finalVersion, steps, true,
                message, null);
    }

    private RunResult dryRunResult(String operation, RunInfo run, String initial, List<StepResult> steps) {
        steps.forEach(s -> listener.accept(new StepEvent(run.runId(), target.database().id(), operation, true, s)));
        StepResult failedStep = steps.stream().filter(s -> s.outcome() == StepOutcome.FAILED).findFirst().orElse(null);
        if (failedStep == null) {
            long skipped = steps.stream().filter(s -> s.outcome() == StepOutcome.SKIPPED).count();
            return new RunResult(target.database().id(), operation, true, run.runId(), initial, initial, steps, true,
                    "dry run: " + (steps.size() - skipped) + " migration(s) would "
                            + (operation.equals("apply") ? "apply" : "roll back") + " cleanly"
                            + (skipped == 0 ? "" : ", " + skipped + " not tried (each says why)")
                            + "; nothing was changed", null);
        }
        return new RunResult(target.database().id(), operation, true, run.runId(), initial, initial, steps, false,
                "dry run: " + failedStep.file() + " would fail; nothing was changed",
                ErrorReport.of(Failure.MIGRATION_FAILED, failedStep.message(), failedStep.file(), null));
    }

    private RunResult failed(String operation, RunInfo run, String initial, List<StepResult> steps, MigrateException e) {
        StepResult failedStep = steps.get(steps.size() - 1);
        String message = operation + " stopped: " + failedStep.file() + " failed after " + (steps.size() - 1)
                + " migration(s) " + (operation.equals("apply") ? StepOutcome.APPLIED : "rolled back") + " in this run";
        String finalVersion;
        try {
            finalVersion = Planner.currentVersion(target.applied());
        } catch (MigrateException unreadable) {
            // The database went away with the failure: report that failure, not the history read that followed it.
            finalVersion = UNKNOWN_VERSION;
            message += "; the history could not be read afterwards, run 'migrate status' to see where it stands";
        }
        return new RunResult(target.database().id(), operation, false, run.runId(), initial, finalVersion, steps, false,
                message, ErrorReport.of(e));
    }

    private String downFileOf(Migration m) {
        return switch (target.database()) {
            case SUPABASE -> m.down().map(d -> d.fileName()).orElse(null);
            case CONVEX -> m.part(target.database()).orElseThrow().fileName();
        };
    }

    private static long millisSince(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    /** Fluent configuration; {@link #load()} returns the {@link Migrator}. */
    public static final class Builder {
        private MigrationSource source;
        private DatabaseTarget target;
        private Duration lockTimeout = Duration.ofSeconds(30);
        private boolean outOfOrder;
        private String appliedBy = "migrate";
        private String runId;
        private java.util.function.Supplier<MigrationSet> files;
        private java.util.function.Consumer<StepEvent> listener = event -> { };
        private java.util.function.Consumer<String> warnings = warning -> { };

        public Builder source(MigrationSource source) {
            this.source = source;
            return this;
        }

        public Builder target(DatabaseTarget target) {
            this.target = target;
            return this;
        }

        /** How long to wait for another run's lock before failing with LOCK_BUSY (default 30 s). */
        public Builder lockTimeout(Duration lockTimeout) {
            this.lockTimeout = lockTimeout;
            return this;
        }

        /** Allow applying a pending version lower than the highest applied one. */
        public Builder outOfOrder(boolean outOfOrder) {
            this.outOfOrder = outOfOrder;
            return this;
        }

        /**
         * The run id recorded with every history row this migrator writes (default: a new one per call). A universal
         * run gives all its steps one id, so its compensation can undo exactly what it applied ({@link #undoRun}).
         */
        public Builder runId(String runId) {
            this.runId = runId;
            return this;
        }

        /** Recorded in the history as who applied each migration. */
        public Builder appliedBy(String appliedBy) {
            this.appliedBy = appliedBy;
            return this;
        }

        /** Told about every step as it finishes (the structured run log). */
        public Builder listener(java.util.function.Consumer<StepEvent> listener) {
            this.listener = listener;
            return this;
        }

        /** Told what loading the files noticed without refusing, one line each. */
        public Builder warnings(java.util.function.Consumer<String> warnings) {
            this.warnings = warnings;
            return this;
        }

        /** The files as already read (and their warnings told) for every database of one run. */
        public Builder files(java.util.function.Supplier<MigrationSet> files) {
            this.files = files;
            return this;
        }

        public Migrator load() {
            return new Migrator(this);
        }
    }
}
