package dev.cryoprotect.migrate.sync;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The read side of a sync: the source database's tables, streamed in a stable order so a run can resume after a
 * stored position. Failures are {@link dev.cryoprotect.migrate.MigrateException}s (BAD_INPUT for a table that does
 * not exist or cannot be synced, UNREACHABLE for a lost database).
 */
public interface TableReader extends AutoCloseable {

    /** Every base table of the schema except the framework's own, by name. */
    List<String> tables(String schema);

    /**
     * The table's definition.
     *
     * @param cursorColumns per-table cursor column; a table absent here uses {@code updated_at} when it has one, and a
     *                      blank value means "no cursor: full pass"
     */
    SourceTable describe(String schema, String table, Map<String, String> cursorColumns);

    /** Which rows a pass reads, and in which order. */
    enum Pass {
        /** Every row, by primary key (a table without a cursor). */
        ALL,
        /** Rows whose cursor is NULL, by primary key: they cannot be placed after a mark, so every run reads them. */
        NULL_CURSOR,
        /** Rows with a cursor value, by (cursor, primary key), after the given position. */
        BY_CURSOR
    }

    /** One source row: its key (canonical JSON of the primary key), its position in the pass, its column values. */
    record SourceRow(String key, List<String> position, Object[] values) {
    }

    /** Told each row in order; returns false to stop reading. */
    interface RowHandler {
        boolean row(SourceRow row);
    }

    /**
     * Streams the rows of one pass in order, from just after {@code after} (a position from an earlier row, or null
     * for the start). Values are the columns of {@link SourceTable#columns()}, as {@link RowConverter} takes them:
     * Integer, Long, Double (also numeric's NaN and the infinities of numerics, timestamps and dates), BigDecimal,
     * Boolean, String, byte[], Instant (timestamptz), LocalDateTime (timestamp), LocalDate, Object[] for an array;
     * other types as PostgreSQL's text; null for NULL.
     */
    default void read(SourceTable table, Pass pass, List<String> after, RowHandler handler) {
        read(table, pass, after, null, handler);
    }

    /** As {@link #read(SourceTable, Pass, List, RowHandler)}, ending with the row at position {@code until} (inclusive). */
    void read(SourceTable table, Pass pass, List<String> after, List<String> until, RowHandler handler);

    /**
     * Primary keys that cut the table into {@code parts} slices of about equal size, in order (fewer for a small
     * table), for a fan-out over key ranges. Estimated from a sample on a large table.
     */
    List<List<String>> boundaries(SourceTable table, int parts);

    /**
     * The position of the table's last row by cursor (cursor value, then primary key) below {@code settledBelow} (see
     * {@link #settledBelow}; null: no bound), or null when it has none.
     */
    List<String> lastPosition(SourceTable table, java.time.Duration lookback);

    /**
     * For a time cursor (timestamptz, timestamp, date), the database's clock less {@code lookback}, as
     * {@link #read} gives the cursor's values (Instant, LocalDateTime, LocalDate): a row whose cursor is not below it
     * may still be joined by rows a transaction stamped earlier and has not committed, so a mark must not pass it. Null
     * for another cursor type (a sequence gives no such bound), no cursor, or a zero lookback.
     */
    Object settledBelow(SourceTable table, java.time.Duration lookback);

    /**
     * Whether a cursor value (as text, from a stored mark) is below {@link #settledBelow}'s bound: a mark stored past
     * it (by a version without the bound, or with a zero lookback: at 'infinity', say) would hide the rows after it.
     * True when there is no bound.
     */
    boolean settled(SourceTable table, String cursorValue, java.time.Duration lookback);

    /**
     * Whether a stored mark (cursor value, then primary key, as text) still reads as those columns' types: after a
     * column's type changed (a timestamp made a number), an old mark cannot be compared with anything.
     */
    boolean readsAs(SourceTable table, List<String> mark);

    /** Which of these keys still have a source row. */
    Set<String> present(SourceTable table, List<String> keys);

    /** The source rows of these keys that still exist (to retry rejected rows), in no particular order. */
    List<SourceRow> fetch(SourceTable table, List<String> keys);

    /**
     * Why reading this table by its cursor will be slow, or null: on a large table, a cursor that no index starts with
     * makes every page scan and sort the whole table.
     */
    String slowCursor(SourceTable table);

    /** Whether the schema exists. */
    boolean schemaExists(String schema);

    @Override
    void close();
}
