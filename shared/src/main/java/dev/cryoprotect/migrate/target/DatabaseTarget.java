package dev.cryoprotect.migrate.target;

import dev.cryoprotect.migrate.model.Database;
import dev.cryoprotect.migrate.model.Migration;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.report.StepResult;

import java.time.Duration;
import java.util.List;

/**
 * One database the migrations run against. Configuration arrives through the constructor; implementations never read
 * the environment. Every failure is a {@link dev.cryoprotect.migrate.MigrateException} whose message names the file and
 * line where there is one and never contains a secret.
 */
public interface DatabaseTarget extends AutoCloseable {

    Database database();

    /** Where this target points, for messages: host and database, never a password or key. */
    String describe();

    /** The history in version order; empty (not an error) when nothing was ever applied. */
    List<AppliedMigration> applied();

    /**
     * Takes the run lock, waiting at most {@code wait}. A crashed holder must not keep it forever.
     *
     * @throws dev.cryoprotect.migrate.MigrateException LOCK_BUSY, with "another run holds the lock"
     */
    Lock lock(Duration wait);

    /** Creates the history (or adopts an older one) if needed. Called with the lock held. */
    void prepare();

    /**
     * Runs this database's part of {@code migration} and records it, both in one transaction where the database allows,
     * so a failure leaves neither.
     *
     * @throws dev.cryoprotect.migrate.MigrateException MIGRATION_FAILED naming the file and line
     */
    AppliedMigration apply(Migration migration, RunInfo run);

    /** Undoes an applied migration and removes its history row, in one transaction where the database allows. */
    void rollback(Migration migration, RunInfo run);

    /**
     * Runs the migrations (forward when {@code up}, else their rollbacks) in order and then undoes everything, so the
     * database is left exactly as it was. Stops at the first failure, which is reported as a {@code failed} step.
     */
    List<StepResult> dryRun(List<Migration> migrations, boolean up, RunInfo run);

    /** Records {@code migration} as applied without running it (baseline). */
    void record(Migration migration, RunInfo run);

    /** Replaces the recorded checksum of an applied version (repair, after the user confirmed the edit). */
    void updateChecksum(Version version, String checksum);

    @Override
    void close();

    /** A held run lock; closing releases it. */
    interface Lock extends AutoCloseable {
        @Override
        void close();
    }
}
