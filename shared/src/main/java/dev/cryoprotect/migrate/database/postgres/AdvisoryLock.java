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
import java.util.function.Consumer;

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

    /**
     * Polls until the lock is ours or {@code wait} has passed (then LOCK_BUSY). On the first busy try, {@code waiting}
     * is told which session holds it and since when.
     */
    void acquire(Connection connection, Duration wait, Consumer<String> waiting) throws SQLException {
        long deadline = System.nanoTime() + wait.toNanos();
        boolean told = false;
        while (!tryAcquire(connection)) {
            if (!told) {
                told = true;
                waiting.accept("another run holds the lock on " + historyName + " (" + holder(connection)
                        + "); waiting up to " + wait.toSeconds() + " s");
            }
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

    /**
     * Releases the lock; {@code first}, when not null, is a statement run just before it, in the same round trip. If it
     * fails the release does not run: the caller then closes the connection, which releases a session lock anyway.
     */
    void release(Connection connection, String first) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement((first == null ? "" : first + ";\n")
                + "SELECT pg_advisory_unlock(?)")) {
            ps.setLong(1, key);
            ps.execute();
        }
    }

    /** Who holds the lock, as far as the server shows it. */
    private String holder(Connection connection) throws SQLException {
        String holder = describeHolder(connection, false);
        return holder != null ? holder : "its session is not visible to this user";
    }

    /** Who holds the lock in another session, or null when no other session does. */
    String otherHolder(Connection connection) throws SQLException {
        return describeHolder(connection, true);
    }

    /** The holder's session, never its query text (which may hold anything); null when the server shows none. */
    private String describeHolder(Connection connection, boolean othersOnly) throws SQLException {
        String sql = "SELECT a.pid, a.application_name, host(a.client_addr), a.backend_start, a.state"
                + " FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE " + isThisLock("l")
                + (othersOnly ? " AND l.pid <> pg_backend_pid()" : "") + " LIMIT 1";
        try (PreparedStatement ps = connection.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return null;
            }
            String app = rs.getString(2);
            String client = rs.getString(3);
            java.sql.Timestamp since = rs.getTimestamp(4);
            String state = rs.getString(5);
            return "server process " + rs.getInt(1)
                    + (app == null || app.isEmpty() ? "" : ", application " + app)
                    + (client == null ? "" : ", from " + client)
                    + (since == null ? "" : ", connected since "
                    + since.toInstant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
                    + (state == null ? "" : ", " + state);
        }
    }

    /**
     * This lock's granted row in pg_locks (as {@code alias}): a bigint advisory lock shows as classid (its high 32
     * bits) and objid (its low 32 bits), with objsubid 1. The key is a number: written in, not bound.
     */
    private String isThisLock(String alias) {
        return alias + ".locktype = 'advisory' AND " + alias + ".granted AND " + alias + ".objsubid = 1 AND " + alias
                + ".classid::bigint = " + (key >>> 32) + " AND " + alias + ".objid::bigint = " + (key & 0xffffffffL);
    }

    /** SQLSTATE of {@link #stillHeldCheck}'s error. */
    static final String LOST = "MGLCK";

    /**
     * A statement that fails (SQLSTATE {@value #LOST}) unless this session still holds the lock: run before a file's
     * history row is written when the file could have released it ({@code pg_advisory_unlock_all()}, {@code DISCARD
     * ALL}), since another run could then have taken it and applied the same files.
     */
    String stillHeldCheck() {
        return "DO $migrate_lock$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_locks l WHERE " + isThisLock("l")
                + " AND l.pid = pg_backend_pid()) THEN RAISE EXCEPTION 'the run''s lock was released'"
                + " USING ERRCODE = '" + LOST + "'; END IF; END $migrate_lock$";
    }

    /** Whether a file's SQL could release the session's advisory locks. */
    static boolean mayRelease(String sql) {
        String lower = sql.toLowerCase(java.util.Locale.ROOT);
        return lower.contains("advisory_unlock") || lower.contains("discard");
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
