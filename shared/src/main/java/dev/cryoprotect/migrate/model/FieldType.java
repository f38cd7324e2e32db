package dev.cryoprotect.migrate.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Convex field type as declared in a migration's {@code schema}: {@code string}, {@code number}, {@code boolean},
 * {@code int64}, {@code bytes}, {@code any}, {@code null}, {@code id<table>}, arrays ({@code T[]} or {@code [T]}),
 * nested objects (a JSON object of fields) and unions ({@code A|B}). Optionality belongs to the field, see
 * {@link TableSchema.Field}.
 */
public sealed interface FieldType {

    enum Kind { STRING, NUMBER, BOOLEAN, INT64, BYTES, ANY, NULL }

    record Primitive(Kind kind) implements FieldType {
    }

    record Id(String table) implements FieldType {
    }

    record Array(FieldType element) implements FieldType {
    }

    record Union(List<FieldType> options) implements FieldType {
        public Union {
            options = List.copyOf(options);
        }
    }

    record Obj(Map<String, TableSchema.Field> fields) implements FieldType {
        public Obj {
            fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        }
    }

    /**
     * Parses a type expression such as {@code "string"}, {@code "id<users>"}, {@code "number[]"} or
     * {@code "string|null"}. The optional marker {@code ?} is handled by the caller.
     *
     * @throws IllegalArgumentException with a message fit for a user
     */
    static FieldType parse(String expression) {
        String text = expression.strip();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty type");
        }
        if (text.contains("|")) {
            List<FieldType> options = new java.util.ArrayList<>();
            for (String option : text.split("\\|", -1)) {
                options.add(parse(option));
            }
            return new Union(options);
        }
        if (text.endsWith("[]")) {
            return new Array(parse(text.substring(0, text.length() - 2)));
        }
        if (text.startsWith("id<") && text.endsWith(">")) {
            String table = text.substring(3, text.length() - 1).strip();
            if (!TableSchema.isValidTableName(table)) {
                throw new IllegalArgumentException("bad table name in '" + expression + "'");
            }
            return new Id(table);
        }
        return switch (text) {
            case "string" -> new Primitive(Kind.STRING);
            case "number", "float64" -> new Primitive(Kind.NUMBER);
            case "boolean" -> new Primitive(Kind.BOOLEAN);
            case "int64", "bigint" -> new Primitive(Kind.INT64);
            case "bytes" -> new Primitive(Kind.BYTES);
            case "any" -> new Primitive(Kind.ANY);
            case "null" -> new Primitive(Kind.NULL);
            default -> throw new IllegalArgumentException("unknown type '" + text
                    + "' (expected string, number, boolean, int64, bytes, any, null, id<table>, T[], A|B or a nested object)");
        };
    }
}
