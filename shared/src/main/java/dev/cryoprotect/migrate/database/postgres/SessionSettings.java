package dev.cryoprotect.migrate.database.postgres;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * What every session of this tool sets, in one round trip after connecting and again after each {@code RESET ALL}
 * (which ends every file's run):
 * <ul>
 *   <li>{@code application_name}: the session shows as "migrate" (or as the URL's {@code ApplicationName}) in
 *       {@code pg_stat_activity}, which is how a run waiting for the lock names the run that holds it. The driver
 *       sets it when it connects, but RESET ALL undoes that.</li>
 *   <li>{@code client_connection_check_interval} (PostgreSQL 14+): while a statement runs, the server polls the socket
 *       every second and cancels the statement if the client closed it (as the kernel does for a killed process), so
 *       a killed run's session advisory lock is freed even in the middle of a long statement.</li>
 *   <li>TCP keepalives on the server side: a client whose host vanished without closing the socket is given up
 *       after about 25 s of silence.</li>
 * </ul>
 * A server or pooler that refuses them keeps working as before; the lock then lives as long as the server's session
 * does.
 */
final class SessionSettings {
    private static final List<String> KEEPALIVES = List.of("SET tcp_keepalives_idle = 10",
            "SET tcp_keepalives_interval = 5", "SET tcp_keepalives_count = 3");
    private static final String CHECK_INTERVAL = "SET client_connection_check_interval = 1000";

    private SessionSettings() {
    }

    static void apply(Connection connection, String applicationName) {
        try (Statement st = connection.createStatement()) {
            st.setEscapeProcessing(false);
            st.execute(String.join("; ", statements(connection, applicationName)));
        } catch (SQLException e) {
            // Best effort, as the class comment says; the run itself does not depend on them.
        }
    }

    /** The settings as statements that return nothing, so they can go in a batch, for this connection's server. */
    static List<String> statements(Connection connection, String applicationName) throws SQLException {
        List<String> all = new ArrayList<>();
        all.add("SET application_name = " + HistoryTable.literal(applicationName));
        all.addAll(KEEPALIVES);
        if (connection.getMetaData().getDatabaseMajorVersion() >= 14) {
            all.add(CHECK_INTERVAL);
        }
        return List.copyOf(all);
    }
}
