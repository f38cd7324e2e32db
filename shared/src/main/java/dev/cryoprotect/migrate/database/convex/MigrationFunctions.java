package dev.cryoprotect.migrate.database.convex;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.convex.ConvexClient;
import dev.cryoprotect.migrate.convex.ConvexException;
import dev.cryoprotect.migrate.model.ConvexMigration.DataOp;
import dev.cryoprotect.migrate.model.ConvexMigration;
import dev.cryoprotect.migrate.model.Migration;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The internal functions of {@code convex/migrations/runner.ts} as typed calls: arguments in, records out. Calls throw
 * {@link dev.cryoprotect.migrate.convex.ConvexException}; {@link ConvexTarget} turns those into messages for people.
 */
final class MigrationFunctions {
    private static final String RUNNER = "migrations/runner:";

    /** Made on first use: a status, which reads only the history (by hand), never starts data binding. */
    private static final class Json {
        static final ObjectMapper MAPPER = new ObjectMapper()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    }

    /** One row of Convex's history table, as {@code listApplied} returns it; {@code state} "rolling_back" mid-rollback. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record HistoryRow(String version, String name, String checksum, @JsonProperty("applied_at") double appliedAt,
                      @JsonProperty("run_id") String runId, @JsonProperty("applied_by") String appliedBy,
                      String state) {
    }

    /**
     * A batched migration that stopped part way: its first {@code nextIndex} of {@code totalOps} ops committed, in
     * {@code batches} of {@code totalBatches} calls (totals null when an older runner started it); {@code rollingBack}
     * once a rollback began undoing it.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record ProgressRow(String version, String name, String checksum, @JsonProperty("next_index") int nextIndex,
                       int batches, @JsonProperty("started_at") double startedAt,
                       @JsonProperty("total_ops") Integer totalOps, @JsonProperty("total_batches") Integer totalBatches,
                       @JsonProperty("rolling_back") boolean rollingBack, @JsonProperty("run_id") String runId) {
    }

    record History(List<HistoryRow> applied, List<ProgressRow> batchesInProgress) {
    }

    /** {@code acquireLock}'s answer: taken, or since when and until when (epoch ms) another owner holds it. */
    record LockAnswer(boolean acquired, double acquiredAt, double expiresAt) {
    }

    /** {@code lockHolder}'s answer: whose lease is live, since when and until when (epoch ms). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    record LeaseHolder(String owner, double acquiredAt, double expiresAt) {
    }

    enum BatchStatus {
        @JsonProperty("applied") APPLIED,
        @JsonProperty("already_applied") ALREADY_APPLIED,
        @JsonProperty("in_progress") IN_PROGRESS,
        /** Convex recorded progress at another op than the call started from: continue from {@code nextIndex}. */
        @JsonProperty("resync") RESYNC
    }

    record BatchAnswer(BatchStatus status, int nextIndex) {
    }

    enum RollbackStatus {
        @JsonProperty("rolled_back") ROLLED_BACK,
        /** Nothing recorded for the version: a retried call whose first attempt finished. */
        @JsonProperty("not_applied") NOT_APPLIED,
        /** A large rollback stopped inside the per-mutation budget; call again. */
        @JsonProperty("in_progress") IN_PROGRESS
    }

    record RollbackAnswer(RollbackStatus status) {
    }

    /** One migration's line of a dry run's report: what it would do, or the ConvexError data of why it fails. */
    record DryRunEntry(String version, boolean ok, Long inserted, Long updated, Long deleted, Long undone,
                       Map<String, Object> error) {
        /** "inserted 2, updated 0, deleted 1", "undid 3 change(s)", or null. */
        String summary() {
            if (inserted != null) {
                return "inserted " + inserted + ", updated " + orZero(updated) + ", deleted " + orZero(deleted);
            }
            return undone == null ? null : "undid " + undone + " change(s)";
        }

        private static long orZero(Long n) {
            return n == null ? 0 : n;
        }
    }

    private final ConvexClient client;
    /** The deployed runner refused an op's {@code lookup} once: a convex/ older than this CLI (see withOps). */
    private boolean runnerWithoutLookups;

    MigrationFunctions(ConvexClient client) {
        this.client = client;
    }

    String deployment() {
        return client.baseUrl();
    }

    History listApplied() {
        return history(client.query(RUNNER + "listApplied", Map.of()));
    }

    /**
     * {@code listApplied}'s answer, read by hand rather than data-bound: every status and apply reads it first thing,
     * and binding the records the first time costs about 70 ms of start-up.
     */
    static History history(Object answer) {
        Map<?, ?> history = (Map<?, ?>) answer;
        List<HistoryRow> applied = new ArrayList<>();
        for (Map<?, ?> r : rows(history.get("applied"))) {
            applied.add(new HistoryRow(text(r, "version"), text(r, "name"), text(r, "checksum"),
                    number(r, "applied_at"), text(r, "run_id"), text(r, "applied_by"), text(r, "state")));
        }
        List<ProgressRow> inProgress = history.get("batchesInProgress") == null ? null : new ArrayList<>();
        for (Map<?, ?> r : rows(history.get("batchesInProgress"))) {
            inProgress.add(new ProgressRow(text(r, "version"), text(r, "name"), text(r, "checksum"),
                    (int) number(r, "next_index"), (int) number(r, "batches"), number(r, "started_at"),
                    integer(r, "total_ops"), integer(r, "total_batches"), Boolean.TRUE.equals(r.get("rolling_back")),
                    text(r, "run_id")));
        }
        return new History(applied, inProgress);
    }

    private static List<Map<?, ?>> rows(Object list) {
        List<Map<?, ?>> rows = new ArrayList<>();
        if (list != null) {
            ((List<?>) list).forEach(r -> rows.add((Map<?, ?>) r));
        }
        return rows;
    }

    private static String text(Map<?, ?> row, String field) {
        Object value = row.get(field);
        return value == null ? null : value.toString();
    }

    private static double number(Map<?, ?> row, String field) {
        return row.get(field) instanceof Number n ? n.doubleValue() : 0;
    }

    private static Integer integer(Map<?, ?> row, String field) {
        return row.get(field) instanceof Number n ? (Integer) (int) n.longValue() : null;
    }

    LockAnswer acquireLock(String owner, Duration lease) {
        return decode(client.mutation(RUNNER + "acquireLock", Map.of("owner", owner, "leaseMs",
                (double) lease.toMillis())), LockAnswer.class);
    }

    /** The live lease, or null when none is held (or it has lapsed). */
    LeaseHolder lockHolder() {
        Object answer = client.query(RUNNER + "lockHolder", Map.of());
        return answer == null ? null : decode(answer, LeaseHolder.class);
    }

    void renewLock(String owner, Duration lease) {
        client.mutation(RUNNER + "renewLock", Map.of("owner", owner, "leaseMs", (double) lease.toMillis()));
    }

    void releaseLock(String owner) {
        client.mutation(RUNNER + "releaseLock", Map.of("owner", owner));
    }

    void applyMigration(Map<String, Object> args) {
        withOps("applyMigration", args);
    }

    BatchAnswer applyBatch(Map<String, Object> args) {
        return decode(withOps("applyBatch", args), BatchAnswer.class);
    }

    RollbackAnswer rollbackMigration(Map<String, Object> args) {
        return decode(client.mutation(RUNNER + "rollbackMigration", args), RollbackAnswer.class);
    }

    /** Runs the dry-run mutation, which always throws: its ConvexError carries the report. */
    void dryRun(Map<String, Object> args) {
        withOps("dryRun", args);
    }

    /**
     * Calls a runner function that takes ops. A runner deployed before ops named their index ({@code lookup}) refuses
     * the field: its argument validator does not know it, and nothing ran. The ops are then sent as that runner takes
     * them, and scan their tables as they did, rather than failing every apply until convex/ is deployed again.
     */
    private Object withOps(String function, Map<String, Object> args) {
        if (!runnerWithoutLookups) {
            try {
                return client.mutation(RUNNER + function, args);
            } catch (ConvexException e) {
                String message = String.valueOf(e.getMessage());
                boolean refusedLookup = message.contains("`lookup`") && ConvexException.refusesUnknownArgument(message);
                if (!refusedLookup) {
                    throw e;
                }
                runnerWithoutLookups = true;
            }
        }
        return client.mutation(RUNNER + function, withoutLookups(args));
    }

    /**
     * A copy of call arguments with each op's {@code lookup} left out: the ops under {@code ops}, or under each of
     * {@code migrations} (dryRun). Documents' own fields are never touched, whatever their names.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> withoutLookups(Map<String, Object> args) {
        Map<String, Object> copy = new LinkedHashMap<>(args);
        copy.computeIfPresent("ops", (key, ops) -> ((List<Map<String, Object>>) ops).stream().map(op -> {
            Map<String, Object> plain = new LinkedHashMap<>(op);
            plain.remove("lookup");
            return plain;
        }).toList());
        copy.computeIfPresent("migrations", (key, migrations) -> ((List<Map<String, Object>>) migrations).stream()
                .map(MigrationFunctions::withoutLookups).toList());
        return copy;
    }

    /** The report inside a {@code DRY_RUN} ConvexError's data. */
    static List<DryRunEntry> dryRunReport(Object errorData) {
        Object report = ((Map<?, ?>) errorData).get("report");
        return Json.MAPPER.convertValue(report, Json.MAPPER.getTypeFactory().constructCollectionType(List.class, DryRunEntry.class));
    }

    void recordMigration(Map<String, Object> args) {
        client.mutation(RUNNER + "recordMigration", args);
    }

    void updateChecksum(String version, String checksum, String owner) {
        client.mutation(RUNNER + "updateChecksum", Map.of("version", version, "checksum", checksum, "owner", owner));
    }

    /** The ops as the runner's validator wants them, values already checked against the declared schema. */
    static List<Map<String, Object>> wireOps(ConvexMigration convex) {
        List<Map<String, Object>> ops = new ArrayList<>();
        for (DataOp op : convex.ops()) {
            Map<String, Object> wire = new LinkedHashMap<>();
            wire.put("index", (double) op.index());
            wire.put("type", op.type().name().toLowerCase(Locale.ROOT));
            wire.put("table", op.table());
            if (op.values() != null) {
                wire.put("data", op.values());
            }
            if (op.match() != null) {
                wire.put("filter", op.match());
            }
            if (op.lookup() != null) {
                wire.put("lookup", Map.of("index", op.lookup().index(), "fields", op.lookup().fields()));
            }
            ops.add(wire);
        }
        return ops;
    }

    static Map<String, Object> migrationArgs(Migration m, ConvexMigration convex, List<Map<String, Object>> ops) {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("version", m.version().text());
        args.put("name", m.name());
        if (!convex.description().isEmpty()) {
            args.put("description", convex.description());
        }
        args.put("checksum", convex.checksum());
        args.put("ops", ops);
        return args;
    }

    static <T> T decode(Object value, Class<T> type) {
        return Json.MAPPER.convertValue(value, type);
    }
}
