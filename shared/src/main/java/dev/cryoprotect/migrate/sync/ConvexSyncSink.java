package dev.cryoprotect.migrate.sync;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.convex.ConvexClient;
import dev.cryoprotect.migrate.convex.ConvexException;
import dev.cryoprotect.migrate.convex.ConvexJsonWriter;
import dev.cryoprotect.migrate.convex.ConvexValues;
import dev.cryoprotect.migrate.model.Checksums;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** The sync functions of {@code convex/migrations/sync.ts}, over the HTTP API. Every call is idempotent. */
public final class ConvexSyncSink implements SyncSink {
    private static final String SYNC = "migrations/sync:";
    /** The function that writes a batch. */
    public static final String UPSERT = SYNC + "upsertBatch";
    private static final byte[] KEY = ConvexJsonWriter.fieldNameBytes("key");
    private static final byte[] HASH = ConvexJsonWriter.fieldNameBytes("hash");
    private static final byte[] DOC = ConvexJsonWriter.fieldNameBytes("doc");
    private final ConvexClient client;
    /** This deployment of convex/ predates the current functions (see orOnOlderDeployment). */
    private volatile boolean olderDeployment;

    public ConvexSyncSink(ConvexClient client) {
        this.client = client;
    }

    @Override
    public Row row(String key, byte[] document) {
        return new Row(key, new ConvexValues.Encoded(document), document.length + key.length());
    }

    @Override
    public Written write(String sourceTable, String targetTable, List<Row> rows) {
        Map<?, ?> result = (Map<?, ?>) call(() -> client.mutation(UPSERT, upsertArgs(sourceTable, targetTable, rows)));
        return new Written(count(result, "inserted"), count(result, "updated"), count(result, "unchanged"));
    }

    @Override
    public Optional<Written> compare(String sourceTable, List<Row> rows) {
        List<Map<String, String>> keysAndHashes = rows.stream().map(row -> Map.of("key", row.key(), "hash",
                Checksums.sha256(((ConvexValues.Encoded) row.document()).json()))).toList();
        Map<?, ?> result = (Map<?, ?>) call(() -> client.query(SYNC + "compareBatch", Map.of("table", sourceTable,
                "rows", keysAndHashes)));
        return Optional.of(new Written(count(result, "inserted"), count(result, "updated"), count(result, "unchanged")));
    }

    /**
     * The arguments of one {@code upsertBatch} call: each row's key, the hash of its encoded document (how the batch
     * finds unchanged documents) and the document as encoded once. The rows are written straight into one encoded
     * array, not a map per row; hashing here, on the thread that sends the batch, keeps it off the converting thread.
     */
    public static Map<String, Object> upsertArgs(String sourceTable, String targetTable, List<Row> rows) {
        // Sized exactly, so the array is the buffer itself, not a copy of it: '[', the rows, a ',' between two, ']'.
        int size = 1;
        for (Row row : rows) {
            size += ROW_BYTES + ConvexJsonWriter.stringLength(row.key())
                    + ((ConvexValues.Encoded) row.document()).json().length;
        }
        ConvexJsonWriter out = new ConvexJsonWriter(size);
        out.startArray();
        for (Row row : rows) {
            writeRow(out, row);
        }
        out.endArray();
        assert out.length() == size || rows.isEmpty() : "a batch of " + out.length() + " bytes, sized " + size;
        return Map.of("table", sourceTable, "target", targetTable, "rows", new ConvexValues.Encoded(out.toByteArray()));
    }

    /** What a row adds to a batch besides its key and document: {"key":,"hash":"64 hex digits","doc":} and a ','. */
    private static final int ROW_BYTES = 1 + KEY.length + 1 + HASH.length + 66 + 1 + DOC.length + 1 + 1;

    /** One row of a batch; a method of its own so the JIT compiles it once, not into each long batch loop. */
    private static void writeRow(ConvexJsonWriter out, Row row) {
        byte[] document = ((ConvexValues.Encoded) row.document()).json();
        out.startObject().fieldName(KEY).string(row.key())
                .fieldName(HASH).hexString(Checksums.sha256Digest(document))
                .fieldName(DOC).raw(document).endObject();
    }

    @Override
    public Optional<Mark> mark(String sourceTable) {
        Object result = call(() -> client.query(SYNC + "getMark", Map.of("table", sourceTable)));
        if (!(result instanceof Map<?, ?> state) || !(state.get("mark") instanceof List<?> mark)) {
            return Optional.empty();
        }
        return Optional.of(new Mark(String.valueOf(state.get("cursorColumn")), state.get("sourceSchema") instanceof
                String schema ? schema : null, mark.stream().map(String::valueOf).toList()));
    }

    @Override
    public void setMark(String sourceTable, String cursorColumn, String sourceSchema, List<String> mark) {
        orOnOlderDeployment(() -> call(() -> client.mutation(SYNC + "setMark", Map.of("table", sourceTable,
                        "cursorColumn", cursorColumn, "sourceSchema", sourceSchema, "mark", mark))),
                () -> call(() -> client.mutation(SYNC + "setMark", Map.of("table", sourceTable, "cursorColumn",
                        cursorColumn, "mark", mark))));
    }

    @Override
    public String claim(String sourceTable, String sourceSchema, String cursorColumn) {
        // A deployment from before owners were kept has nothing to check against.
        return String.valueOf(orOnOlderDeployment(() -> call(() -> client.mutation(SYNC + "claimTable", Map.of("table",
                sourceTable, "sourceSchema", sourceSchema, "cursorColumn", cursorColumn))), () -> sourceSchema));
    }

    /**
     * A call as this version makes it, or, against a deployment of convex/ older than this CLI (a function it lacks,
     * an argument it does not take), as the older one takes it: the sync goes on without what is new rather than
     * failing every table until convex/ is deployed again. Found once, the older form is used from then on.
     */
    private <T> T orOnOlderDeployment(Supplier<T> current, Supplier<T> older) {
        if (olderDeployment) {
            return older.get();
        }
        try {
            return current.get();
        } catch (MigrateException e) {
            String message = String.valueOf(e.getMessage());
            if (!message.contains("Could not find") && !ConvexException.refusesUnknownArgument(message)) {
                throw e;
            }
            olderDeployment = true;
            return older.get();
        }
    }

    @Override
    public List<String> keys(String sourceTable, String after, int limit) {
        List<?> keys = (List<?>) call(() -> client.query(SYNC + "listKeys", Map.of("table", sourceTable, "after", after,
                "limit", (double) limit)));
        return keys.stream().map(String::valueOf).toList();
    }

    @Override
    public long unmappedDocuments(String sourceTable) {
        return ((Number) call(() -> client.query(SYNC + "unmappedDocuments", Map.of("table", sourceTable)))).longValue();
    }

    @Override
    public long delete(String sourceTable, List<String> keys) {
        return count((Map<?, ?>) call(() -> client.mutation(SYNC + "deleteKeys", Map.of("table", sourceTable,
                "keys", keys))), "deleted");
    }

    @Override
    public void recordRejections(String sourceTable, List<Rejection> rejections) {
        List<Map<String, Object>> rows = rejections.stream().map(r -> Map.<String, Object>of("key", r.key(),
                "reason", r.reason())).toList();
        call(() -> client.mutation(SYNC + "recordRejections", Map.of("table", sourceTable, "rows", rows)));
    }

    @Override
    public List<Rejection> rejections(String sourceTable, String after, int limit) {
        List<?> page = (List<?>) call(() -> client.query(SYNC + "listRejections", Map.of("table", sourceTable,
                "after", after, "limit", (double) limit)));
        return page.stream().map(r -> (Map<?, ?>) r).map(r -> new Rejection(String.valueOf(r.get("key")),
                String.valueOf(r.get("reason")), count(r, "firstSeen"), count(r, "lastSeen"))).toList();
    }

    @Override
    public void clearRejections(String sourceTable, List<String> keys) {
        call(() -> client.mutation(SYNC + "clearRejections", Map.of("table", sourceTable, "keys", keys)));
    }

    @Override
    public List<String> rejectedTables() {
        return ((List<?>) call(() -> client.query(SYNC + "rejectedTables", Map.of()))).stream().map(String::valueOf)
                .toList();
    }

    private static Object call(Supplier<Object> call) {
        try {
            return call.get();
        } catch (ConvexException.FunctionError e) {
            throw new MigrateException(Failure.MIGRATION_FAILED, "Convex refused a batch: " + e.getMessage(), e);
        } catch (ConvexException.TransportError e) {
            throw new MigrateException(Failure.UNREACHABLE, e.getMessage(), e);
        }
    }

    private static long count(Map<?, ?> result, String field) {
        return result.get(field) instanceof Number n ? n.longValue() : 0;
    }
}
