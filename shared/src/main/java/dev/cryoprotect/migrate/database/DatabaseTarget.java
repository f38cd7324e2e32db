package dev.cryoprotect.migrate.database;

import dev.cryoprotect.migrate.model.AppliedMigration;
import dev.cryoprotect.migrate.model.Database;
import dev.cryoprotect.migrate.model.Migration;
import dev.cryoprotect.migrate.model.RunInfo;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.report.StepResult;

import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * One database the migrations run against. A new database is "implement this, extend {@code TargetContractTest}".
 *
 * <p>Rules every implementation keeps (each has a case in the contract test):
 * <ul>
 *   <li>Configuration arrives through the constructor; an implementation never reads the environment.</li>
 *   <li>{@link #applied()} and {@link #describe()} work without the lock. Every method that writes
 *       ({@link #prepare}, {@link #apply}, {@link #rollback}, {@link #dryRun}, {@link #record},
 *       {@link #updateChecksum}) needs the run lock held through this target, and throws
 *       {@link IllegalStateException} (a bug in the caller, not a user error) when it is not.</li>
 *   <li>A user-facing failure is a {@link dev.cryoprotect.migrate.MigrateException}: its message names the file and
 *       line where there is one and never contains a password or key.</li>
 *   <li>The lock is exclusive across processes, and a crashed holder (killed process, lost connection) does not keep
 *       it beyond a bounded time.</li>
 *   <li>{@link #close()} releases the lock and every connection; closing twice is harmless.</li>
 * </ul>
 */
public interface DatabaseTarget extends AutoCloseable {

    Database database();

    /** Where this target points, for messages: host and database, never a password or key. */
    String describe();

    /**
     * The history in version order; empty (not an error) when nothing was ever applied. A version whose apply or
     * rollback stopped part way is a row in state PARTIAL or ROLLING_BACK. Needs no lock.
     */
    List<AppliedMigration> applied();

    /**
     * Takes the run lock, waiting at most {@code wait}; if another run holds it, {@code waiting} is told once who and
     * since when, and how long this run will wait.
     *
     * @throws dev.cryoprotect.migrate.MigrateException LOCK_BUSY, with "another run holds the lock"
     */
    Lock lock(Duration wait, Consumer<String> waiting);

    /**
     * Who holds the run lock now, when another session does (a run in progress), else empty; never waits for it.
     * Status asks only when a version stopped part way, to tell a run still working from one that stopped.
     */
    default java.util.Optional<String> runInProgress() {
        return java.util.Optional.empty();
    }

    default Lock lock(Duration wait) {
        return lock(wait, message -> { });
    }

    /** Creates the history (or adopts an older one) if needed. Needs the lock. */
    void prepare();

    /**
     * Runs this database's part of {@code migration} and records it, both in one transaction where the database allows,
     * so a failure leaves neither; where it cannot (batched Convex, no-transaction SQL), the version is PARTIAL until
     * it completes, and applying a PARTIAL version continues it. Needs the lock.
     *
     * @throws dev.cryoprotect.migrate.MigrateException MIGRATION_FAILED naming the file and line
     */
    AppliedMigration apply(Migration migration, RunInfo run);

    /**
     * Applies {@code plan} in order, as {@link #apply} would one at a time, telling {@code applied} of each migration as
     * it is known to have landed; stops at the first failure and throws it, as {@link #apply} does. A target may send
     * several migrations at once where each still lands whole with its history row, or not at all. Needs the lock.
     */
    default void applyInOrder(List<Migration> plan, RunInfo run, Consumer<AppliedMigration> applied) {
        for (Migration m : plan) {
            applied.accept(apply(m, run));
        }
    }

    /**
     * Undoes an applied (or PARTIAL) migration and removes its history row, in one transaction where the database
     * allows; otherwise the version is ROLLING_BACK until done, and rolling it back again continues. Needs the lock.
     */
    void rollback(Migration migration, RunInfo run);

    /**
     * Runs the migrations (forward when {@code up}, else their rollbacks) in order and then undoes everything, so the
     * database is left exactly as it was: called without {@link #prepare()}, it makes whatever history it needs inside
     * what it undoes. Stops at the first failure, which is reported as a
     * {@link dev.cryoprotect.migrate.model.StepOutcome#FAILED} step. Needs the lock.
     */
    List<StepResult> dryRun(List<Migration> migrations, boolean up, RunInfo run);

    /** Records {@code migration} as applied without running it (baseline). Needs the lock. */
    void record(Migration migration, RunInfo run);

    /** Replaces the recorded checksum of an applied version (repair, after the user confirmed the edit). Needs the lock. */
    void updateChecksum(Version version, String checksum);

    @Override
    void close();

    /** A held run lock; closing releases it. */
    interface Lock extends AutoCloseable {
        @Override
        void close();
    }
}
