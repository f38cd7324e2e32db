package dev.cryoprotect.migrate.testing;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.Migrator;
import dev.cryoprotect.migrate.database.DatabaseTarget;
import dev.cryoprotect.migrate.model.MigrationState;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.report.RunResult;
import dev.cryoprotect.migrate.report.StatusEntry;
import dev.cryoprotect.migrate.report.StatusReport;
import dev.cryoprotect.migrate.report.StepResult;
import dev.cryoprotect.migrate.source.DirectorySource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The behaviour every {@link DatabaseTarget} must show, run against its real database: one case per rule of the
 * interface's contract. A new target is "implement the interface, extend this class". Subclasses say how to write a
 * migration of their kind, how to see its effect, and how a holder of the lock crashes.
 */
public abstract class TargetContractTest {
    @TempDir
    protected Path dir;
    protected MigrationFiles files;
    private final List<DatabaseTarget> opened = new ArrayList<>();

    /** Prepares a fresh, empty database for this test. */
    protected abstract void freshDatabase();

    /** A new target (its own connection) on this test's database. */
    protected abstract DatabaseTarget newTarget();

    /** Writes version {@code version}: a migration creating {@code thing}, reversibly. */
    protected abstract void writeCreating(String version, String thing);

    /** Writes version {@code version}: a migration that changes something and then fails. */
    protected abstract void writeFailing(String version);

    /** What the migrations created and is still there. */
    protected abstract Set<String> things();

    /** A target on this test's database whose configuration carries {@code secret} (a password, a deploy key). */
    protected abstract DatabaseTarget targetWithSecret(String secret);

    /**
     * Takes the run lock as a runner that then dies without releasing it (a killed process, a dropped connection).
     * Returns how long its lock may outlive it at most.
     */
    protected abstract Duration crashWhileHoldingTheLock();

    @BeforeEach
    void setUpContract() {
        files = new MigrationFiles(dir);
        freshDatabase();
    }

    @AfterEach
    void closeTargets() {
        opened.forEach(DatabaseTarget::close);
    }

    protected DatabaseTarget target() {
        return track(newTarget());
    }

    /** Closes {@code t} after the test. */
    protected <T extends DatabaseTarget> T track(T t) {
        opened.add(t);
        return t;
    }

    protected Migrator migrator() {
        return migrator(target(), Duration.ofSeconds(20));
    }

    protected Migrator migrator(DatabaseTarget target, Duration lockTimeout) {
        return Migrator.configure().source(new DirectorySource(dir)).target(target).lockTimeout(lockTimeout)
                .appliedBy("contract-test").load();
    }

    private void threeVersions() {
        writeCreating("001", "alpha");
        writeCreating("002", "beta");
        writeCreating("003", "gamma");
    }

    @Test
    void statusOfAnEmptyDatabaseListsEveryVersionAsPending() {
        threeVersions();
        StatusReport status = migrator().status();
        assertEquals("", status.currentVersion());
        assertEquals(List.of(MigrationState.PENDING, MigrationState.PENDING, MigrationState.PENDING),
                status.migrations().stream().map(StatusEntry::state).toList());
        assertEquals(3, status.pending());
    }

    @Test
    void applyRunsEveryPendingMigrationAndRecordsIt() {
        threeVersions();
        RunResult result = migrator().apply(null, false);
        assertTrue(result.success(), result.message());
        assertEquals("", result.initialVersion());
        assertEquals("003", result.finalVersion());
        assertEquals(List.of("applied", "applied", "applied"), result.steps().stream().map(s -> s.outcome().id()).toList());
        assertEquals(Set.of("alpha", "beta", "gamma"), things());
        StatusReport status = migrator().status();
        assertEquals("003", status.currentVersion());
        assertTrue(status.migrations().stream().allMatch(e -> e.state() == MigrationState.APPLIED));
        assertEquals("contract-test", status.migrations().get(0).appliedBy());
    }

    @Test
    void applyAgainHasNothingToDo() {
        threeVersions();
        migrator().apply(null, false);
        RunResult again = migrator().apply(null, false);
        assertTrue(again.success());
        assertTrue(again.steps().isEmpty());
        assertTrue(again.message().contains("up to date"), again.message());
        assertEquals(Set.of("alpha", "beta", "gamma"), things());
    }

    @Test
    void applyWithTargetStopsAtIt() {
        threeVersions();
        RunResult result = migrator().apply(Version.parse("002"), false);
        assertEquals("002", result.finalVersion());
        assertEquals(Set.of("alpha", "beta"), things());
        assertEquals(MigrationState.PENDING, migrator().status().migrations().get(2).state());
    }

    @Test
    void applyWithUnknownTargetIsBadInput() {
        threeVersions();
        MigrateException e = assertThrows(MigrateException.class, () -> migrator().apply(Version.parse("009"), false));
        assertEquals(Failure.BAD_INPUT, e.failure());
        assertTrue(e.getMessage().contains("009"), e.getMessage());
        assertEquals(Set.of(), things());
    }

    private Migrator migratorForRun(String runId) {
        return Migrator.configure().source(new DirectorySource(dir)).target(target()).lockTimeout(Duration.ofSeconds(20))
                .appliedBy("contract-test").runId(runId).load();
    }

    @Test
    void undoRunRollsBackExactlyWhatThatRunAppliedAndNothingOnTopOfAnotherRun() {
        threeVersions();
        migratorForRun("run-a").apply(Version.parse("001"), false);
        migratorForRun("run-b").apply(null, false);
        RunResult undone = migratorForRun("compensation").undoRun("run-b");
        assertTrue(undone.success(), undone.message());
        assertEquals(List.of("003", "002"), undone.steps().stream().map(StepResult::version).toList());
        assertEquals("001", undone.finalVersion());
        assertEquals(Set.of("alpha"), things());
        RunResult again = migratorForRun("compensation").undoRun("run-b");
        assertTrue(again.success() && again.steps().isEmpty(), again.message());
        assertTrue(again.message().contains("nothing of run run-b to undo"), again.message());

        migratorForRun("run-c").apply(Version.parse("002"), false);
        migratorForRun("run-d").apply(null, false);
        MigrateException onTop = assertThrows(MigrateException.class, () -> migratorForRun("x").undoRun("run-c"));
        assertEquals(Failure.HISTORY_CONFLICT, onTop.failure());
        assertTrue(onTop.getMessage().contains("003") && onTop.getMessage().contains("another run"), onTop.getMessage());
        assertEquals(Set.of("alpha", "beta", "gamma"), things(), "nothing was rolled back");
    }

    @Test
    void rollbackUndoesTheLatestOnlyByDefault() {
        threeVersions();
        migrator().apply(null, false);
        RunResult result = migrator().rollback(null, false);
        assertTrue(result.success(), result.message());
        assertEquals(List.of("003"), result.steps().stream().map(StepResult::version).toList());
        assertEquals("002", result.finalVersion());
        assertEquals(Set.of("alpha", "beta"), things());
    }

    /** The advice after a failed universal run: alone, --resume ends an interrupted run and rolls nothing else back. */
    @Test
    void rollbackResumeAloneWithNothingInterruptedRollsNothingBack() {
        threeVersions();
        migrator().apply(null, false);
        RunResult result = migrator().rollback(null, false, true);
        assertTrue(result.success(), result.message());
        assertEquals(List.of(), result.steps());
        assertEquals("003", result.finalVersion());
        assertTrue(result.message().contains("nothing to resume"), result.message());
        assertEquals(Set.of("alpha", "beta", "gamma"), things());
    }

    @Test
    void rollbackToTargetUndoesNewestFirstDownToIt() {
        threeVersions();
        migrator().apply(null, false);
        RunResult result = migrator().rollback(Version.parse("001"), false);
        assertEquals(List.of("003", "002"), result.steps().stream().map(StepResult::version).toList());
        assertEquals(Set.of("alpha"), things());
        RunResult all = migrator().rollback(Version.parse("000"), false);
        assertEquals(List.of("001"), all.steps().stream().map(StepResult::version).toList());
        assertEquals("", all.finalVersion());
        assertEquals(Set.of(), things());
    }

    /**
     * Projects that number their first migration 0000: "000" still means before everything, "0000" names that version
     * and keeps it, and a run's undo keeps it when another run applied it.
     */
    @Test
    void aFirstVersionNumberedZeroIsRolledBackByTargetZeroAndKeptByAnUndoAboveIt() {
        writeCreating("0000", "alpha");
        writeCreating("0001", "beta");
        migratorForRun("run-a").apply(Version.parse("0000"), false);
        migratorForRun("run-b").apply(null, false);
        RunResult undone = migratorForRun("compensation").undoRun("run-b");
        assertEquals(List.of("0001"), undone.steps().stream().map(StepResult::version).toList(), undone.message());
        assertEquals(Set.of("alpha"), things(), "the undo keeps 0000, applied by another run");

        migrator().apply(null, false);
        RunResult kept = migrator().rollback(Version.parse("0000"), false);
        assertEquals(List.of("0001"), kept.steps().stream().map(StepResult::version).toList(), "0000 names that version");
        migrator().apply(null, false);
        RunResult all = migrator().rollback(Version.parse("000"), false);
        assertTrue(all.success(), all.message());
        assertEquals(List.of("0001", "0000"), all.steps().stream().map(StepResult::version).toList());
        assertEquals("", all.finalVersion());
        assertEquals(Set.of(), things());
    }

    @Test
    void dryRunApplyLeavesNoTrace() {
        threeVersions();
        RunResult result = migrator().apply(null, true);
        assertTrue(result.success(), result.message());
        assertTrue(result.dryRun());
        assertEquals(List.of("would_apply", "would_apply", "would_apply"),
                result.steps().stream().map(s -> s.outcome().id()).toList());
        assertEquals(Set.of(), things());
        assertEquals("", migrator().status().currentVersion());
    }

    @Test
    void dryRunRollbackLeavesEverythingApplied() {
        threeVersions();
        migrator().apply(null, false);
        RunResult result = migrator().rollback(Version.parse("000"), true);
        assertTrue(result.success(), result.message());
        assertEquals(List.of("would_roll_back", "would_roll_back", "would_roll_back"),
                result.steps().stream().map(s -> s.outcome().id()).toList());
        assertEquals(Set.of("alpha", "beta", "gamma"), things());
        assertEquals("003", migrator().status().currentVersion());
    }

    @Test
    void dryRunReportsWhatWouldFail() {
        writeCreating("001", "alpha");
        writeFailing("002");
        RunResult result = migrator().apply(null, true);
        assertFalse(result.success());
        assertEquals(List.of("would_apply", "failed"), result.steps().stream().map(s -> s.outcome().id()).toList());
        assertEquals(Set.of(), things());
        assertEquals("", migrator().status().currentVersion());
    }

    @Test
    void failingMigrationLeavesNoTraceAndStopsTheRun() {
        writeCreating("001", "alpha");
        writeFailing("002");
        writeCreating("003", "gamma");
        RunResult result = migrator().apply(null, false);
        assertFalse(result.success());
        assertEquals(Failure.MIGRATION_FAILED.exitCode(), result.error().exitCode());
        assertTrue(result.error().file().startsWith("002_"), result.error().file());
        assertEquals(List.of("applied", "failed"), result.steps().stream().map(s -> s.outcome().id()).toList());
        assertEquals("001", result.finalVersion());
        assertEquals(Set.of("alpha"), things());
        StatusReport status = migrator().status();
        assertEquals("001", status.currentVersion());
        assertEquals(MigrationState.PENDING, status.migrations().get(1).state());
    }

    @Test
    void concurrentAppliesApplyEachMigrationExactlyOnce() throws Exception {
        for (int i = 1; i <= 6; i++) {
            writeCreating(String.format("%03d", i), "t" + i);
        }
        int runners = 4;
        ExecutorService pool = Executors.newFixedThreadPool(runners);
        try {
            List<Callable<RunResult>> calls = new ArrayList<>();
            for (int i = 0; i < runners; i++) {
                DatabaseTarget t = target();
                calls.add(() -> migrator(t, Duration.ofSeconds(60)).apply(null, false));
            }
            int appliedSteps = 0;
            for (Future<RunResult> f : pool.invokeAll(calls)) {
                RunResult r = f.get();
                assertTrue(r.success(), r.message());
                appliedSteps += (int) r.steps().stream().filter(s -> s.outcome().id().equals("applied")).count();
            }
            assertEquals(6, appliedSteps, "each migration applied by exactly one runner");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(Set.of("t1", "t2", "t3", "t4", "t5", "t6"), things());
        assertEquals(6, migrator().status().migrations().stream()
                .filter(e -> e.state() == MigrationState.APPLIED).count());
    }

    @Test
    void aHeldLockMakesTheOtherRunFailAsLockBusy() {
        threeVersions();
        DatabaseTarget holder = target();
        try (DatabaseTarget.Lock ignored = holder.lock(Duration.ofSeconds(5))) {
            MigrateException e = assertThrows(MigrateException.class,
                    () -> migrator(target(), Duration.ofSeconds(1)).apply(null, false));
            assertEquals(Failure.LOCK_BUSY, e.failure());
            assertTrue(e.getMessage().contains("another run holds the lock"), e.getMessage());
        }
        assertEquals(Set.of(), things());
        assertTrue(migrator(target(), Duration.ofSeconds(1)).apply(null, false).success(), "lock released on close");
    }

    @Test
    void aWaitingRunIsToldOnceWhoHoldsTheLockAndHowLongItWillWait() {
        DatabaseTarget holder = target();
        java.util.List<String> told = new java.util.ArrayList<>();
        try (DatabaseTarget.Lock ignored = holder.lock(Duration.ofSeconds(5))) {
            assertThrows(MigrateException.class, () -> target().lock(Duration.ofSeconds(2), told::add));
        }
        assertEquals(1, told.size(), "told once, not once per poll: " + told);
        assertTrue(told.get(0).contains("waiting up to 2 s") && told.get(0).contains("since"), told.get(0));
    }

    @Test
    void aChangedAppliedFileBlocksApplyUntilRepaired() {
        writeCreating("001", "alpha");
        migrator().apply(null, false);
        files.append(fileOf("001"), " ");
        writeCreating("002", "beta");
        assertEquals(MigrationState.CHANGED, migrator().status().migrations().get(0).state());
        MigrateException e = assertThrows(MigrateException.class, () -> migrator().apply(null, false));
        assertEquals(Failure.HISTORY_CONFLICT, e.failure());
        assertTrue(e.getMessage().contains("changed after it was applied"), e.getMessage());
        assertTrue(e.getMessage().contains("migrate repair"), e.getMessage());
        assertEquals(Set.of("alpha"), things());

        RunResult repaired = migrator().repair();
        assertEquals(List.of("checksum_updated"), repaired.steps().stream().map(s -> s.outcome().id()).toList());
        assertEquals(MigrationState.APPLIED, migrator().status().migrations().get(0).state());
        assertTrue(migrator().apply(null, false).success());
        assertEquals(Set.of("alpha", "beta"), things());
    }

    @Test
    void aFileWhoseOnlyChangeIsTheFinalNewlineIsNotChanged() {
        writeCreating("001", "alpha");
        migrator().apply(null, false);
        files.append(fileOf("001"), "\n");
        assertEquals(MigrationState.APPLIED, migrator().status().migrations().get(0).state());
        files.write(fileOf("001"), files.read(fileOf("001")).replaceFirst("\n+$", ""));
        assertEquals(MigrationState.APPLIED, migrator().status().migrations().get(0).state(), "nor is dropping it");
        assertTrue(migrator().apply(null, false).success());
    }

    @Test
    void anOutOfOrderVersionIsRefusedUnlessAllowed() {
        writeCreating("001", "alpha");
        writeCreating("003", "gamma");
        migrator().apply(null, false);
        writeCreating("002", "beta");
        assertEquals(MigrationState.OUT_OF_ORDER, migrator().status().migrations().get(1).state());
        MigrateException e = assertThrows(MigrateException.class, () -> migrator().apply(null, false));
        assertEquals(Failure.HISTORY_CONFLICT, e.failure());
        assertTrue(e.getMessage().contains("--out-of-order"), e.getMessage());
        assertEquals(Set.of("alpha", "gamma"), things());

        RunResult allowed = Migrator.configure().source(new DirectorySource(dir)).target(target()).outOfOrder(true)
                .load().apply(null, false);
        assertEquals(List.of("002"), allowed.steps().stream().map(StepResult::version).toList());
        assertEquals(Set.of("alpha", "beta", "gamma"), things());
    }

    @Test
    void aMissingFileIsReportedAndBlocksApply() {
        writeCreating("001", "alpha");
        migrator().apply(null, false);
        files.deleteVersion("001");
        writeCreating("002", "beta");
        StatusReport status = migrator().status();
        assertEquals(MigrationState.MISSING, status.migrations().get(0).state());
        assertFalse(status.ok());
        MigrateException e = assertThrows(MigrateException.class, () -> migrator().apply(null, false));
        assertEquals(Failure.HISTORY_CONFLICT, e.failure());
        assertEquals(Set.of("alpha"), things());
    }

    @Test
    void baselineMarksVersionsAppliedWithoutRunningThem() {
        threeVersions();
        RunResult result = migrator().baseline(Version.parse("002"));
        assertEquals(List.of("baselined", "baselined"), result.steps().stream().map(s -> s.outcome().id()).toList());
        assertEquals(Set.of(), things(), "baseline runs nothing");
        assertEquals("002", migrator().status().currentVersion());
        migrator().apply(null, false);
        assertEquals(Set.of("gamma"), things());
        MigrateException again = assertThrows(MigrateException.class, () -> migrator().baseline(Version.parse("001")));
        assertEquals(Failure.HISTORY_CONFLICT, again.failure());
    }

    @Test
    void appliedAndDescribeNeedNoLock() {
        threeVersions();
        DatabaseTarget t = target();
        assertEquals(List.of(), t.applied(), "a fresh database has an empty history, not an error");
        assertFalse(t.describe().isBlank());
        migrator().apply(Version.parse("001"), false);
        assertEquals(List.of("001"), t.applied().stream().map(a -> a.version().text()).toList());
    }

    @Test
    void everyWriteWithoutTheLockIsRefusedAsABugAndChangesNothing() {
        threeVersions();
        migrator().apply(Version.parse("001"), false);
        DatabaseTarget t = target();
        var set = dev.cryoprotect.migrate.source.MigrationLoader.load(new DirectorySource(dir));
        var second = set.find(Version.parse("002")).orElseThrow();
        var first = set.find(Version.parse("001")).orElseThrow();
        var run = new dev.cryoprotect.migrate.model.RunInfo("no-lock", "contract-test");
        List<Runnable> writes = List.of(t::prepare, () -> t.apply(second, run), () -> t.rollback(first, run),
                () -> t.dryRun(List.of(second), true, run), () -> t.record(second, run),
                () -> t.updateChecksum(first.version(), "0".repeat(64)));
        for (Runnable write : writes) {
            IllegalStateException e = assertThrows(IllegalStateException.class, write::run);
            assertTrue(e.getMessage().contains("needs the run lock"), e.getMessage());
        }
        assertEquals(Set.of("alpha"), things());
        StatusReport status = migrator().status();
        assertEquals("001", status.currentVersion());
        assertEquals(MigrationState.APPLIED, status.migrations().get(0).state(), "the checksum was not touched");
    }

    @Test
    void describeNeverShowsASecret() {
        String secret = "s3cr3t-" + java.util.UUID.randomUUID();
        DatabaseTarget t = track(targetWithSecret(secret));
        assertFalse(t.describe().contains(secret), t.describe());
        assertFalse(t.toString().contains(secret), t.toString());
    }

    @Test
    void aCrashedHolderDoesNotKeepTheLock() {
        threeVersions();
        Duration bound = crashWhileHoldingTheLock();
        long started = System.nanoTime();
        RunResult result = migrator(target(), bound.plusSeconds(10)).apply(null, false);
        assertTrue(result.success(), result.message());
        assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(bound.plusSeconds(10)) < 0);
        assertEquals(Set.of("alpha", "beta", "gamma"), things());
    }

    @Test
    void closeReleasesTheLockAndClosingTwiceIsHarmless() {
        threeVersions();
        DatabaseTarget holder = newTarget();
        holder.lock(Duration.ofSeconds(5));
        holder.close();
        holder.close();
        assertTrue(migrator(target(), Duration.ofSeconds(2)).apply(null, false).success(), "the lock was released");
    }

    @Test
    void recordAndUpdateChecksumWriteOnlyTheHistory() {
        threeVersions();
        DatabaseTarget t = target();
        var set = dev.cryoprotect.migrate.source.MigrationLoader.load(new DirectorySource(dir));
        var first = set.find(Version.parse("001")).orElseThrow();
        try (DatabaseTarget.Lock ignored = t.lock(Duration.ofSeconds(5))) {
            t.prepare();
            t.record(first, new dev.cryoprotect.migrate.model.RunInfo("run-1", "contract-test"));
            t.updateChecksum(first.version(), "f".repeat(64));
        }
        assertEquals(Set.of(), things(), "recording runs nothing");
        var row = t.applied().get(0);
        assertEquals("001", row.version().text());
        assertEquals("f".repeat(64), row.checksum());
        assertEquals(MigrationState.CHANGED, migrator().status().migrations().get(0).state());
    }


    /** The file this target runs for {@code version}. */
    protected abstract String fileOf(String version);
}
