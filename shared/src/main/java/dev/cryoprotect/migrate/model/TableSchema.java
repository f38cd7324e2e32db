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

    /** Convex table names: a letter, then letters, digits and underscores. */
    public static boolean isValidTableName(String name) {
        return name != null && name.length() <= 64 && TABLE_NAME.matcher(name).matches();
    }

    /** Convex field names: no leading {@code $} or {@code _} (reserved), at most 1024 characters, printable. */
    public static String fieldNameProblem(String name) {
        if (name.isEmpty()) {
            return "field name is empty";
        }
        if (name.length() > 1024) {
            return "field name is longer than 1024 characters";
        }
        if (name.startsWith("$")) {
            return "field name '" + name + "' starts with '$', which Convex reserves";
        }
        if (name.startsWith("_")) {
            return "field name '" + name + "' starts with '_', which Convex reserves for system fields";
        }
        for (int i = 0; i < name.length(); i++) {
            if (Character.isISOControl(name.charAt(i))) {
                return "field name contains a control character";
            }
        }
        return null;
    }
}
