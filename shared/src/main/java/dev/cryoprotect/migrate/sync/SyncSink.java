package dev.cryoprotect.migrate.sync;

import java.util.List;
import java.util.Optional;

/** Where converted rows go: Convex through the sync functions, or nowhere (the benchmark's baseline). */
public interface SyncSink {

    /**
     * One converted row: its source key (canonical JSON of the primary key), a hash of the document, and the document
     * already in {@code convex_encoded_json} form (it was encoded once, for the hash).
     */
    record Row(String key, String hash, Object document) {
    }

    record Written(long inserted, long updated, long unchanged) {
    }

    /** Writes one batch idempotently: rows already equal are left alone, a re-sent batch changes nothing. */
    Written write(String sourceTable, String targetTable, List<Row> rows);

    /** The stored high-water mark (cursor value and primary key values, as text), if any. */
    Optional<List<String>> mark(String sourceTable);

    void setMark(String sourceTable, String cursorColumn, List<String> mark);

    /** Mapped source keys after {@code after}, in order, at most {@code limit}. */
    List<String> keys(String sourceTable, String after, int limit);

    /** Deletes the documents of these source keys; returns how many documents were deleted. */
    long delete(String sourceTable, List<String> keys);
}
