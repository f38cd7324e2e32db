package dev.cryoprotect.migrate.sync;

import dev.cryoprotect.migrate.Failure;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.convex.ConvexClient;
import dev.cryoprotect.migrate.convex.ConvexException;
import dev.cryoprotect.migrate.convex.ConvexValues;
import dev.cryoprotect.migrate.model.Checksums;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** The sync functions of {@code convex/migrations/sync.ts}, over the HTTP API. Every call is idempotent. */
public final class ConvexSyncSink implements SyncSink {
    private static final String SYNC = "migrations/sync:";
    /** The function that writes a batch. */
    public static final String UPSERT = SYNC + "upsertBatch";
    private final ConvexClient client;

    public ConvexSyncSink(ConvexClient client) {
        this.client = client;
    }

    @Override
    public Row row(String key, Map<String, Object> document) {
        byte[] bytes = ConvexValues.encodeToBytes(document);
        return new Row(key, Checksums.sha256(bytes), new ConvexValues.Encoded(bytes), bytes.length + key.length());
    }

    @Override
    public Written write(String sourceTable, String targetTable, List<Row> rows) {
        Map<?, ?> result = (Map<?, ?>) call(() -> client.mutation(UPSERT, upsertArgs(sourceTable, targetTable, rows)));
        return new Written(count(result, "inserted"), count(result, "updated"), count(result, "unchanged"));
    }

    /** The arguments of one {@code upsertBatch} call: each row's key, hash and document as encoded once. */
    public static Map<String, Object> upsertArgs(String sourceTable, String targetTable, List<Row> rows) {
        List<Map<String, Object>> wire = new ArrayList<>(rows.size());
        for (Row row : rows) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("key", row.key());
            r.put("hash", row.hash());
            r.put("doc", row.document());
            wire.add(r);
        }
        return Map.of("table", sourceTable, "target", targetTable, "rows", wire);
    }

    @Override
    public Optional<List<String>> mark(String sourceTable) {
        Object result = call(() -> client.query(SYNC + "getMark", Map.of("table", sourceTable)));
        if (!(result instanceof Map<?, ?> state) || !(state.get("mark") instanceof List<?> mark)) {
            return Optional.empty();
        }
        return Optional.of(mark.stream().map(String::valueOf).toList());
    }

    @Override
    public void setMark(String sourceTable, String cursorColumn, List<String> mark) {
        call(() -> client.mutation(SYNC + "setMark", Map.of("table", sourceTable, "cursorColumn", cursorColumn,
                "mark", mark)));
    }

    @Override
    public List<String> keys(String sourceTable, String after, int limit) {
        List<?> keys = (List<?>) call(() -> client.query(SYNC + "listKeys", Map.of("table", sourceTable, "after", after,
                "limit", (double) limit)));
        return keys.stream().map(String::valueOf).toList();
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
