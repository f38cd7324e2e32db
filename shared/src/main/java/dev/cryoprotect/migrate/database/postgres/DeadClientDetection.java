package dev.cryoprotect.migrate.database.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Session settings that make the server notice a client that has gone: a killed run's backend is cancelled, even in
 * the middle of a long statement, and its session advisory lock freed. Without them the server finds out only when
 * the statement ends and it tries to answer.
 * <ul>
 *   <li>{@code client_connection_check_interval} (PostgreSQL 14+): while a statement runs, the server polls the socket
 *       every second and cancels the statement if the client closed it (as the kernel does for a killed process).</li>
 *   <li>TCP keepalives on the server side: a client whose host vanished without closing the socket is given up
 *       after about 25 s of silence.</li>
 * </ul>
 * Applied after connecting and again after every {@code RESET ALL}. A server or pooler that refuses them keeps working
 * as before; the lock then lives as long as the server's session does.
 */
final class DeadClientDetection {
    private static final List<String> KEEPALIVES = List.of("SET tcp_keepalives_idle = 10",
            "SET tcp_keepalives_interval = 5", "SET tcp_keepalives_count = 3");
    private static final String CHECK_INTERVAL = "SET client_connection_check_interval = 1000";

    private DeadClientDetection() {
    }

    static void enable(Connection connection) {
        try (Statement st = connection.createStatement()) {
            st.execute(String.join("; ", statements(connection)));
        } catch (SQLException e) {
            // Best effort, as the class comment says; the run itself does not depend on it.
        }
    }

    /** The settings as statements that return nothing, so they can go in a batch, for this connection's server. */
    static List<String> statements(Connection connection) throws SQLException {
        if (connection.getMetaData().getDatabaseMajorVersion() < 14) {
            return KEEPALIVES;
        }
        List<String> all = new ArrayList<>(KEEPALIVES);
        all.add(CHECK_INTERVAL);
        return List.copyOf(all);
    }
}
