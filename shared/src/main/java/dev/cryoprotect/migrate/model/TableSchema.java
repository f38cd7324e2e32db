package dev.cryoprotect.migrate.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** The declared fields of one Convex table, in declaration order. */
public record TableSchema(String table, Map<String, Field> fields) {
    private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

    public TableSchema {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** A declared field: its type and whether it may be absent ({@code "string?"}). */
    public record Field(FieldType type, boolean optional) {
    }

    /** Returns this table with {@code other}'s fields added; a field declared again takes the later type. */
    public TableSchema mergedWith(TableSchema other) {
        Map<String, Field> merged = new LinkedHashMap<>(fields);
        merged.putAll(other.fields);
        return new TableSchema(table, merged);
    }

    /** The tables convex/migrations/schema.ts keeps for the framework itself: a migration must not declare or write them. */
    public static final java.util.Set<String> FRAMEWORK_TABLES = java.util.Set.of("migrations", "migration_inverse",
            "migration_id_remap", "migration_locks", "migration_progress", "sync_ids", "sync_rejections", "sync_state");

    /** Convex table names: a letter, then letters, digits and underscores. */
    public static boolean isValidTableName(String name) {
        return name != null && name.length() <= 64 && TABLE_NAME.matcher(name).matches();
    }

    /** A document's field names: as {@link #objectFieldProblem}, and no leading {@code _} (system fields). */
    public static String fieldNameProblem(String name) {
        String problem = objectFieldProblem(name);
        if (problem != null) {
            return "field name " + (name.isEmpty() ? "" : "'" + shown(name) + "' ") + problem;
        }
        return name.startsWith("_") ? "field name '" + name + "' starts with '_', which Convex reserves for system"
                + " fields" : null;
    }

    /**
     * What Convex refuses in the name of any object's field (convex/values: validateObjectField): a leading {@code $},
     * more than 1024 characters, a character outside printable ASCII. Null when the name is fine.
     */
    public static String objectFieldProblem(String name) {
        if (name.isEmpty()) {
            return "is empty";
        }
        if (name.length() > 1024) {
            return "is longer than 1024 characters";
        }
        if (name.charAt(0) == '$') {
            return "starts with '$', which Convex reserves";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 32 || c >= 127) {
                return "has the character " + (c < 32 || c == 127 ? String.format("U+%04X", (int) c) : "'"
                        + name.substring(i, name.offsetByCodePoints(i, 1)) + "'") + ": Convex allows only printable"
                        + " ASCII in field names";
            }
        }
        return null;
    }

    private static String shown(String name) {
        return name.length() > 40 ? name.substring(0, 40) + "..." : name;
    }
}
