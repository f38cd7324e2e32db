package dev.cryoprotect.migrate.database.postgres;

import dev.cryoprotect.migrate.model.AppliedMigration;
import dev.cryoprotect.migrate.model.Migration;
import dev.cryoprotect.migrate.model.SqlScript;
import dev.cryoprotect.migrate.model.Version;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The Supabase CLI's own history, {@code supabase_migrations.schema_migrations} (version, name, statements), which
 * {@code supabase db push} writes and {@code supabase migration list} reads. Where it exists, its versions count as
 * applied, and every apply and rollback updates it in the same transaction, so both tools see the same state.
 */
final class SupabaseCliHistory {
    static final String TABLE = "supabase_migrations.schema_migrations";

    private List<String> columns; // null until looked up; empty when the table does not exist

    /** The versions the Supabase CLI recorded; empty when its table does not exist. */
    List<AppliedMigration> read(Connection c) throws SQLException {
        if (columns(c).isEmpty()) {
            return List.of();
        }
        List<AppliedMigration> rows = new ArrayList<>();
        String name = columns(c).contains("name") ? "name" : "NULL";
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT version, " + name + " FROM " + TABLE)) {
            while (rs.next()) {
                String version = rs.getString(1) == null ? "" : rs.getString(1).strip();
                if (Version.isValid(version)) {
                    rows.add(new AppliedMigration(Version.parse(version), rs.getString(2), null, null, null, null,
                            "supabase db push", TABLE, AppliedMigration.State.APPLIED, null));
                }
            }
        }
        return rows;
    }

    /** Records an applied file as {@code supabase db push} would: its version, name and statements. */
    void insert(Connection c, Migration m) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.setEscapeProcessing(false);
            for (String sql : insertStatements(c, m)) {
                st.execute(sql);
            }
        }
    }

    /**
     * The insert as a statement with the values written in, so that it can go with the file's statements in one
     * round trip; none where the table does not exist.
     */
    List<String> insertStatements(Connection c, Migration m) throws SQLException {
        if (columns(c).isEmpty()) {
            return List.of();
        }
        List<String> names = new ArrayList<>(List.of("version"));
        List<String> values = new ArrayList<>(List.of(HistoryTable.literal(m.version().text())));
        if (columns(c).contains("name")) {
            names.add("name");
            values.add(HistoryTable.literal(m.name()));
        }
        if (columns(c).contains("statements")) {
            names.add("statements");
            List<String> statements = new ArrayList<>();
            for (SqlScript.SqlStatement statement : m.up().orElseThrow().statements()) {
                statements.add(HistoryTable.literal(statement.sql()));
            }
            values.add("ARRAY[" + String.join(", ", statements) + "]::text[]");
        }
        return List.of("INSERT INTO " + TABLE + " (" + String.join(", ", names) + ") VALUES ("
                + String.join(", ", values) + ") ON CONFLICT DO NOTHING");
    }

    void delete(Connection c, Version version) throws SQLException {
        if (columns(c).isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE
                + " WHERE version ~ '^[0-9]+$' AND version::numeric = ?::numeric")) {
            ps.setString(1, version.text());
            ps.executeUpdate();
        }
    }

    private List<String> columns(Connection c) throws SQLException {
        if (columns == null) {
            List<String> found = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT column_name FROM information_schema.columns"
                    + " WHERE table_schema = 'supabase_migrations' AND table_name = 'schema_migrations'")) {
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        found.add(rs.getString(1));
                    }
                }
            }
            columns = found.contains("version") ? found : List.of();
        }
        return columns;
    }
}
