package dev.cryoprotect.migrate.sync;

import dev.cryoprotect.migrate.target.convex.ConvexClient;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The sync functions of {@code convex/migrations/sync.ts}, over the HTTP API. Every call is idempotent. */
public final class ConvexSyncSink implements SyncSink {
    private static final String SYNC = "migrations/sync:";
    private final ConvexClient client;

    public ConvexSyncSink(ConvexClient client) {
        this.client = client;
    }

    @Override
    public Written write(String sourceTable, String targetTable, List<Row> rows) {
        List<Map<String, Object>> wire = new ArrayList<>(rows.size());
        for (Row row : rows) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("key", row.key());
            r.put("hash", row.hash());
            r.put("doc", row.document());
            wire.add(r);
        }
        Map<?, ?> result = (Map<?, ?>) client.mutation(SYNC + "upsertBatch",
                Map.of("table", sourceTable, "target", targetTable, "rows", wire));
        return new Written(count(result, "inserted"), count(result, "updated"), count(result, "unchanged"));
    }

    @Override
    public Optional<List<String>> mark(String sourceTable) {
        Object result = client.query(SYNC + "getMark", Map.of("table", sourceTable));
        if (!(result instanceof Map<?, ?> state) || !(state.get("mark") instanceof List<?> mark)) {
            return Optional.empty();
        }
        return Optional.of(mark.stream().map(String::valueOf).toList());
    }

    @Override
    public void setMark(String sourceTable, String cursorColumn, List<String> mark) {
        client.mutation(SYNC + "setMark", Map.of("table", sourceTable, "cursorColumn", cursorColumn, "mark", mark));
    }

    @Override
    public List<String> keys(String sourceTable, String after, int limit) {
        List<?> keys = (List<?>) client.query(SYNC + "listKeys", Map.of("table", sourceTable, "after", after,
                "limit", (double) limit));
        return keys.stream().map(String::valueOf).toList();
    }

    @Override
    public long delete(String sourceTable, List<String> keys) {
        return count((Map<?, ?>) client.mutation(SYNC + "deleteKeys", Map.of("table", sourceTable, "keys", keys)),
                "deleted");
    }

    private static long count(Map<?, ?> result, String field) {
        return result.get(field) instanceof Number n ? n.longValue() : 0;
    }
}
