package dev.cryoprotect.migrate;

import dev.cryoprotect.migrate.database.DatabaseTarget;
import dev.cryoprotect.migrate.model.Database;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.report.ErrorReport;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.report.StatusReport;
import dev.cryoprotect.migrate.report.StatusTable;
import dev.cryoprotect.migrate.report.StepEvent;
import dev.cryoprotect.migrate.report.UniversalResult;
import dev.cryoprotect.migrate.source.MigrationSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The verbs over several databases at once, as the CLI and the Lambda handlers both run them: Supabase before Convex
 * for apply, repair and baseline (Convex data builds on the Supabase schema), Convex before Supabase for rollback, each
 * stopping at the first database that fails; and the universal run, which puts Supabase back when Convex fails.
 */
public final class Orchestrator {

    /** How every database's {@link Migrator} is configured. */
    public record Settings(MigrationSource source, Duration lockTimeout, boolean outOfOrder, String appliedBy,
                           Consumer<StepEvent> listener, Consumer<String> warnings) {
    }

    private final List<DatabaseTarget> targets;
    private final Settings settings;

    /** @param targets the selected databases, Supabase first */
    public Orchestrator(List<DatabaseTarget> targets, Settings settings) {
        this.targets = List.copyOf(targets);
        this.settings = settings;
    }

    private Migrator migrator(DatabaseTarget target) {
        return Migrator.configure().source(settings.source()).target(target).lockTimeout(settings.lockTimeout())
                .outOfOrder(settings.outOfOrder()).appliedBy(settings.appliedBy()).listener(settings.listener())
                .warnings(settings.warnings()).load();
    }

    /** Every database side by side. */
    public StatusTable status() {
        List<StatusReport> reports = new ArrayList<>();
        for (DatabaseTarget target : targets) {
            reports.add(migrator(target).status());
        }
        return StatusTable.of(reports, null);
    }

    public List<RunResult> apply(Version target, boolean dryRun) {
        return apply(target, dryRun, false);
    }

    /** With {@code resume}, each database first finishes what an interrupted run left (see {@link Migrator}). */
    public List<RunResult> apply(Version target, boolean dryRun, boolean resume) {
        return each(targets, m -> m.apply(target, dryRun, resume));
    }

    public List<RunResult> rollback(Version target, boolean dryRun) {
        return rollback(target, dryRun, false);
    }

    /** Newest layer (Convex) first; with {@code resume}, each first finishes an interrupted rollback or undoes a partial apply. */
    public List<RunResult> rollback(Version target, boolean dryRun, boolean resume) {
        List<DatabaseTarget> newestLayerFirst = new ArrayList<>(targets);
        Collections.reverse(newestLayerFirst);
        return each(newestLayerFirst, m -> m.rollback(target, dryRun, resume));
    }

    public List<RunResult> repair() {
        return each(targets, Migrator::repair);
    }

    public List<RunResult> adoptForeignHistory() {
        return each(targets, Migrator::adoptForeignHistory);
    }

    public List<RunResult> baseline(Version version) {
        return each(targets, m -> m.baseline(version));
    }

    private List<RunResult> each(List<DatabaseTarget> ordered, Function<Migrator, RunResult> action) {
        List<RunResult> results = new ArrayList<>();
        for (DatabaseTarget target : ordered) {
            RunResult result = action.apply(migrator(target));
            results.add(result);
            if (!result.success()) {
                break;
            }
        }
        return results;
    }

    /**
     * Supabase, then Convex (when selected); if Convex fails after Supabase applied something, Supabase is rolled back
     * to the version it had before this run, and the result carries Convex's error.
     */
    public UniversalResult universal(Version target, boolean dryRun) {
        DatabaseTarget supabase = targets.stream().filter(t -> t.database() == Database.SUPABASE).findFirst()
                .orElseThrow(() -> MigrateException.badInput("a universal run needs the Supabase database"));
        Optional<DatabaseTarget> convex = targets.stream().filter(t -> t.database() == Database.CONVEX).findFirst();

        RunResult supabaseResult = migrator(supabase).apply(target, dryRun);
        if (!supabaseResult.success()) {
            return new UniversalResult(supabaseResult, null, null, status(), false,
                    "Supabase failed; Convex was not started", supabaseResult.error());
        }
        if (convex.isEmpty()) {
            return new UniversalResult(supabaseResult, null, null, status(), true,
                    "Supabase only (Convex disabled): " + supabaseResult.message(), null);
        }
        RunResult convexResult;
        try {
            convexResult = migrator(convex.get()).apply(target, dryRun);
        } catch (MigrateException e) {
            convexResult = new RunResult(Database.CONVEX.id(), "apply", dryRun, null, "", "", List.of(), false,
                    e.getMessage(), ErrorReport.of(e));
        }
        if (convexResult.success()) {
            return new UniversalResult(supabaseResult, convexResult, null, status(), true,
                    "applied to Supabase and Convex" + (dryRun ? " (dry run: nothing changed)" : ""), null);
        }
        if (dryRun || supabaseResult.steps().isEmpty()) {
            return new UniversalResult(supabaseResult, convexResult, null, status(), false,
                    "Convex failed; Supabase was not changed by this run", convexResult.error());
        }
        String before = supabaseResult.initialVersion();
        RunResult rollback;
        try {
            rollback = migrator(supabase).rollback(Version.parse(before.isEmpty() ? "0" : before), false);
        } catch (MigrateException e) {
            rollback = new RunResult(Database.SUPABASE.id(), "rollback", false, null, supabaseResult.finalVersion(),
                    supabaseResult.finalVersion(), List.of(), false, e.getMessage(), ErrorReport.of(e));
        }
        String message = rollback.success()
                ? "Convex failed; Supabase was rolled back to " + (before.isEmpty() ? "no version" : "version " + before)
                : "Convex failed, and rolling Supabase back to " + (before.isEmpty() ? "no version" : before)
                + " failed too: " + rollback.message() + "; Supabase is at " + rollback.finalVersion();
        return new UniversalResult(supabaseResult, convexResult, rollback, status(), false, message,
                convexResult.error());
    }
}
