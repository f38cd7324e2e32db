package dev.cryoprotect.migrate.sync;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where converted rows go: Convex through the sync functions ({@link ConvexSyncSink}), or nowhere (the benchmark's
 * baseline). Failures are {@link dev.cryoprotect.migrate.MigrateException}s; a sink must be safe to call from several
 * threads at once (batches are sent in parallel).
 */
public interface SyncSink {

    /**
     * One converted row ready to send: its source key (canonical JSON of the primary key), a hash of its encoded
     * document, the document as the sink sends it, and the encoded size.
     */
    record Row(String key, String hash, Object document, int bytes) {
    }

    record Written(long inserted, long updated, long unchanged) {
    }

    /** Encodes a converted document once, for both the hash and the request. */
    Row row(String key, Map<String, Object> document);

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
