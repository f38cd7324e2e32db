package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cryoprotect.migrate.MigrateException;
import dev.cryoprotect.migrate.model.Version;
import dev.cryoprotect.migrate.wiring.DatabaseSelection;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A handler's input, mirroring the CLI's options: {@code target}, {@code dryRun}, {@code database}, {@code outOfOrder},
 * {@code name}, {@code kind}, {@code tables}, {@code limit}, {@code prune}, {@code resume}; and for the universal
 * run's steps {@code plan} (status: the pinned target only), {@code runId} (apply: the id to record),
 * {@code undoRun} (rollback: undo what that run applied) and {@code compact} (results with step counts, not lists); {@code sync} (a universal run
 * started over the API: also sync {@code tables} after applying); {@code yes} (confirms a rollback or a pruning sync
 * in a production environment). Unknown fields are refused, so a typo never silently
 * becomes "apply everything".
 */
public record MigrationRequest(Version target, boolean dryRun, DatabaseSelection database, boolean outOfOrder, String name,
                               String kind, List<String> tables, Integer limit, boolean prune,
                               boolean resume, boolean plan, String runId, String undoRun, boolean compact,
                               boolean sync, boolean yes, SyncWork work) {

    /**
     * How a SyncData call takes part in a long sync: {@code maxSeconds} (stop after that long and answer what is left;
     * the sync state machine calls again), {@code ranges} (cut the one table into that many key ranges: a fan-out's
     * plan), {@code range} (sync one planned range), {@code finish} with {@code mark} (end a fan-out).
     */
    public record SyncWork(Integer maxSeconds, Integer ranges, dev.cryoprotect.migrate.sync.SyncOptions.KeyRange range,
                           boolean finish, List<String> mark) {
        static final SyncWork NONE = new SyncWork(null, null, null, false, null);
    }
    private static final Set<String> FIELDS = Set.of("target", "dryRun", "database", "outOfOrder", "name", "kind",
            "tables", "limit", "prune", "sync", "resume", "plan", "runId", "undoRun", "compact", "yes", "maxSeconds", "ranges", "range", "finish", "mark");
    private static final java.util.regex.Pattern RUN_ID = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_:.-]{0,127}");

    public static MigrationRequest from(JsonNode input) {
        if (input == null || input.isNull() || input.isMissingNode()) {
            return new MigrationRequest(null, false, DatabaseSelection.ALL, false, null, "both", List.of(), null, false,
                    false, false, null, null, false, false, false, SyncWork.NONE);
        }
        if (!input.isObject()) {
            throw MigrateException.badInput("the event must be a JSON object such as {\"target\": \"003\", \"dryRun\": true}");
        }
        if (input.has("environment")) {
            throw MigrateException.badInput("an event cannot choose the environment: the stack's Environment parameter"
                    + " fixes it for every function");
        }
        for (Iterator<String> it = input.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!FIELDS.contains(field)) {
                throw MigrateException.badInput("unknown field '" + field + "' in the event (expected one of "
                        + String.join(", ", FIELDS.stream().sorted().toList()) + ")");
            }
        }
        return new MigrationRequest(version(input, "target"), bool(input, "dryRun"),
                DatabaseSelection.parse(text(input, "database", "all")),
                bool(input, "outOfOrder"), text(input, "name", null), text(input, "kind", "both"), tables(input),
                limit(input), bool(input, "prune"), bool(input, "resume"), bool(input, "plan"), runId(input, "runId"),
                runId(input, "undoRun"), bool(input, "compact"), bool(input, "sync"), bool(input, "yes"),
                new SyncWork(count(input, "maxSeconds", 0), count(input, "ranges", 1), range(input), bool(input, "finish"),
                        keyList(input.get("mark"), "mark")));
    }

    private static Version version(JsonNode input, String field) {
        JsonNode node = input.get(field);
        if (node == null || node.isNull() || node.isTextual() && node.textValue().isEmpty()) {
            return null;
        }
        String text = node.isIntegralNumber() ? node.asText() : node.isTextual() ? node.textValue().strip() : null;
        if (text == null || !Version.isValid(text)) {
            throw MigrateException.badInput(field + " must be a version of digits such as \"003\", not " + node);
        }
        return Version.parse(text);
    }

    private static String runId(JsonNode input, String field) {
        String text = text(input, field, null);
        if (text != null && !RUN_ID.matcher(text).matches()) {
            throw MigrateException.badInput(field + " must be a run id (letters, digits, '-', '_', ':', '.'; at most 128),"
                    + " such as a Step Functions execution name");
        }
        return text;
    }

    private static boolean bool(JsonNode input, String field) {
        JsonNode node = input.get(field);
        if (node == null || node.isNull()) {
            return false;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isTextual() && (node.textValue().equals("true") || node.textValue().equals("false"))) {
            return Boolean.parseBoolean(node.textValue()); // query-string parameters arrive as text
        }
        throw MigrateException.badInput(field + " must be true or false, not " + node);
    }

    private static String text(JsonNode input, String field, String fallback) {
        JsonNode node = input.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isTextual()) {
            throw MigrateException.badInput(field + " must be a string, not " + node);
        }
        return node.textValue();
    }

    private static List<String> tables(JsonNode input) {
        JsonNode node = input.get("tables");
        List<String> tables = new ArrayList<>();
        if (node == null || node.isNull()) {
            return tables;
        }
        if (node.isTextual()) {
            for (String t : node.textValue().split(",")) {
                if (!t.isBlank()) {
                    tables.add(t.strip());
                }
            }
            return tables;
        }
        if (!node.isArray()) {
            throw MigrateException.badInput("tables must be an array of table names");
        }
        for (JsonNode t : node) {
            if (!t.isTextual()) {
                throw MigrateException.badInput("tables must be an array of table names");
            }
            tables.add(t.textValue());
        }
        return tables;
    }

    private static Integer count(JsonNode input, String field, int least) {
        JsonNode node = input.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        String text = node.asText();
        if (!text.matches("[0-9]{1,9}") || Integer.parseInt(text) < least) {
            throw MigrateException.badInput(field + " must be a whole number of at least " + least + ", not " + node);
        }
        return Integer.parseInt(text);
    }

    /** A planned key range, as the plan answered it: {"id", "after": [...] or null, "until": [...] or null}. */
    private static dev.cryoprotect.migrate.sync.SyncOptions.KeyRange range(JsonNode input) {
        JsonNode node = input.get("range");
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject() || !node.path("id").isTextual() || !RUN_ID.matcher(node.get("id").textValue()).matches()) {
            throw MigrateException.badInput("range must be a planned key range {\"id\": ..., \"after\": [...],"
                    + " \"until\": [...]}, as a plan (ranges) answers it");
        }
        return new dev.cryoprotect.migrate.sync.SyncOptions.KeyRange(node.get("id").textValue(),
                keyList(node.get("after"), "range.after"), keyList(node.get("until"), "range.until"));
    }

    private static List<String> keyList(JsonNode node, String field) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isArray()) {
            throw MigrateException.badInput(field + " must be an array of key values (text)");
        }
        List<String> values = new ArrayList<>();
        for (JsonNode v : node) {
            if (!v.isTextual()) {
                throw MigrateException.badInput(field + " must be an array of key values (text)");
            }
            values.add(v.textValue());
        }
        return values;
    }

    private static Integer limit(JsonNode input) {
        JsonNode node = input.get("limit");
        if (node == null || node.isNull()) {
            return null;
        }
        String text = node.asText();
        if (!text.matches("[0-9]{1,9}") || Integer.parseInt(text) <= 0) {
            throw MigrateException.badInput("limit must be a positive whole number, not " + node);
        }
        return Integer.parseInt(text);
    }
}
