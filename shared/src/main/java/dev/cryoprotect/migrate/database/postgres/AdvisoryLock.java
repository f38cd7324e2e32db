package dev.cryoprotect.migrate.database.postgres;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.Checksums;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * The run lock: a session-level advisory lock keyed by the history table's name, so runs against the same history
 * exclude each other and a killed run's lock goes with its connection.
 */
final class AdvisoryLock {
    private static final Duration POLL = Duration.ofMillis(200);

    private final long key;
    private final String historyName;

    AdvisoryLock(PostgresConfig config) {
        this.historyName = config.historySchema() + "." + config.historyTable();
        String digest = Checksums.sha256("migrate-lock:" + historyName);
        this.key = ByteBuffer.wrap(HexFormat.of().parseHex(digest.substring(0, 16))).getLong();
    }

    /** Polls until the lock is ours or {@code wait} has passed (then LOCK_BUSY). */
    void acquire(Connection connection, Duration wait) throws SQLException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!tryAcquire(connection)) {
            if (System.nanoTime() >= deadline) {
                throw new MigrateException(Failure.LOCK_BUSY, "another run holds the lock on " + historyName
                        + " (waited " + wait.toSeconds() + " s); nothing was run. Retry when it has finished, or raise"
                        + " --lock-timeout");
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new MigrateException(Failure.LOCK_BUSY, "interrupted while waiting for the migration lock");
            }
        }
    }

    void release(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            ps.setLong(1, key);
            ps.execute();
        }
    }

    private boolean tryAcquire(Connection connection) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            ps.setLong(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}
