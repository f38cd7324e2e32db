package dev.cryoprotect.migrate.sync;

import java.util.List;
import java.util.Optional;

/**
 * Where converted rows go: Convex through the sync functions ({@link ConvexSyncSink}), or nowhere (the benchmark's
 * baseline). Failures are {@link dev.cryoprotect.migrate.MigrateException}s; a sink must be safe to call from several
 * threads at once (batches are sent in parallel).
 */
public interface SyncSink {

    /**
     * One converted row ready to send: its source key (canonical JSON of the primary key), its document as the sink
     * sends it, and the encoded size.
     */
    record Row(String key, Object document, int bytes) {
    }

    /** What a batch did; {@code rejected}: rows Convex refused (found by splitting a refused batch). */
    record Written(long inserted, long updated, long unchanged, List<Rejection> rejected) {
        public Written(long inserted, long updated, long unchanged) {
            this(inserted, updated, unchanged, List.of());
        }

        /** Two halves of a split batch, together. */
        Written plus(Written other) {
            List<Rejection> both = new java.util.ArrayList<>(rejected);
            both.addAll(other.rejected);
            return new Written(inserted + other.inserted, updated + other.updated, unchanged + other.unchanged, both);
        }
    }

    /** A row from its document's encoded JSON ({@link RowConverter#encode}), sent as it is. */
    Row row(String key, byte[] document);

    /** Writes one batch idempotently: rows already equal are left alone, a re-sent batch changes nothing. */
    Written write(String sourceTable, String targetTable, List<Row> rows);

    /**
     * What {@link #write} would do with these rows, writing nothing (a dry run's counts); empty for a sink that cannot
     * tell.
     */
    default Optional<Written> compare(String sourceTable, List<Row> rows) {
        return Optional.empty();
    }

    /** The stored high-water mark (cursor value and primary key values, as text), if any. */
    Optional<Mark> mark(String sourceTable);

    /**
     * A stored mark: the cursor column it was taken on ("" for a pass by primary key), the PostgreSQL schema the table
     * was read from (null when stored before that was kept), and the position.
     */
    record Mark(String cursorColumn, String sourceSchema, List<String> values) {
    }

    void setMark(String sourceTable, String cursorColumn, String sourceSchema, List<String> mark);

    /**
     * Claims the Convex table of {@code sourceTable} for {@code sourceSchema} if no schema owns it yet, atomically;
     * returns the owning schema.
     */
    String claim(String sourceTable, String sourceSchema, String cursorColumn);

    /** Mapped source keys after {@code after}, in order, at most {@code limit}. */
    List<String> keys(String sourceTable, String after, int limit);

    /**
     * Before a table's first sync, how many documents (up to 100) its Convex table holds that no sync wrote (seed
     * data of a migration, say); 0 once a sync wrote any.
     */
    long unmappedDocuments(String sourceTable);

    /** Deletes the documents of these source keys; returns how many documents were deleted. */
    long delete(String sourceTable, List<String> keys);

    /** A row that could not be written, kept until it syncs or its source row is gone. */
    record Rejection(String key, String reason, long firstSeen, long lastSeen) {
    }

    /**
     * Keeps these rows' rejections (key, reason) where every later run finds them; a row already rejected keeps its
     * first-seen time. Writing a row later clears its rejection. A sink without storage keeps nothing.
     */
    default void recordRejections(String sourceTable, List<Rejection> rejections) {
    }

    /** Stored rejections of a table after {@code after} in key order, at most {@code limit}. */
    default List<Rejection> rejections(String sourceTable, String after, int limit) {
        return List.of();
    }

    /** Forgets rejections whose source rows are gone. */
    default void clearRejections(String sourceTable, List<String> keys) {
    }

    /** The tables that have stored rejections. */
    default List<String> rejectedTables() {
        return List.of();
    }
}
