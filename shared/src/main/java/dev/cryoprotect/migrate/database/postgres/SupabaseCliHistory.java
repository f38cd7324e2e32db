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

    private final HistoryShapes shapes;

    SupabaseCliHistory(HistoryShapes shapes) {
        this.shapes = shapes;
    }

    /** The query for the versions the Supabase CLI recorded, or null when its table does not exist. */
    String select(Connection c) throws SQLException {
        if (columns(c).isEmpty()) {
            return null;
        }
        return "SELECT version, " + (columns(c).contains("name") ? "name" : "NULL") + " FROM " + TABLE;
    }

    /** The rows {@link #select}'s query returned; those whose version is not digits are not migrations. */
    List<AppliedMigration> rows(ResultSet rs) throws SQLException {
        List<AppliedMigration> rows = new ArrayList<>();
        while (rs.next()) {
            String version = rs.getString(1) == null ? "" : rs.getString(1).strip();
            if (Version.isValid(version)) {
                rows.add(new AppliedMigration(Version.parse(version), rs.getString(2), null, null, null, null,
                        "supabase db push", TABLE, AppliedMigration.State.APPLIED, null));
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

    /** The table's columns; none when it does not exist (or has no version column, so is not the CLI's). */
    private List<String> columns(Connection c) throws SQLException {
        HistoryShapes.TableShape shape = shapes.cli(c);
        return shape.has("version") ? shape.columns() : List.of();
    }
}
