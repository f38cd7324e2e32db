package dev.cryoprotect.migrate.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the values of a data op against the declared field types and converts them to Convex values (see
 * {@code ConvexValues}: Double, Long, byte[], String, Boolean, List, Map, null). Plain JSON numbers become int64 where
 * the schema says {@code int64}, base64 strings become bytes where it says {@code bytes}; the encoded forms
 * {@code {"$integer": ...}}, {@code {"$float": ...}} and {@code {"$bytes": ...}} are accepted too.
 */
public final class ConvexDocuments {
    private ConvexDocuments() {
    }

    /** A value that does not fit its declared type; the message names the field path. */
    public static final class Mismatch extends Exception {
        private static final long serialVersionUID = 1L;

        Mismatch(String message) {
            super(message);
        }
    }

    /** A whole document for insert: every required field present, nothing undeclared. */
    public static Map<String, Object> document(TableSchema table, JsonNode doc) throws Mismatch {
        Map<String, Object> converted = fields(table, doc, "");
        for (Map.Entry<String, TableSchema.Field> f : table.fields().entrySet()) {
            if (!f.getValue().optional() && !doc.has(f.getKey())) {
                throw new Mismatch("required field '" + f.getKey() + "' is missing");
            }
        }
        return converted;
    }

    /** Some fields of a document (update data, filters): each declared and of its type. {@code _id} may be filtered on. */
    public static Map<String, Object> fields(TableSchema table, JsonNode object, String path) throws Mismatch {
        Map<String, Object> converted = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("_id") && e.getValue().isTextual()) {
                converted.put("_id", e.getValue().textValue());
                continue;
            }
            TableSchema.Field field = table.fields().get(e.getKey());
            if (field == null) {
                throw new Mismatch("field '" + path + e.getKey() + "' is not declared on table '" + table.table()
                        + "' (declared: " + String.join(", ", table.fields().keySet()) + ")");
            }
            converted.put(e.getKey(), value(field.type(), e.getValue(), path + e.getKey()));
        }
        return converted;
    }

    static Object value(FieldType type, JsonNode node, String path) throws Mismatch {
        if (type instanceof FieldType.Union union) {
            List<String> reasons = new ArrayList<>();
            for (FieldType option : union.options()) {
                try {
                    return value(option, node, path);
                } catch (Mismatch m) {
                    reasons.add(m.getMessage());
                }
            }
            throw new Mismatch("field '" + path + "': matches none of " + describe(type) + " (" + String.join("; ", reasons) + ")");
        }
        if (type instanceof FieldType.Id) {
            return expect(node.isTextual(), node, type, path) ? node.textValue() : null;
        }
        if (type instanceof FieldType.Array array) {
            expect(node.isArray(), node, type, path);
            List<Object> list = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                list.add(value(array.element(), node.get(i), path + "[" + i + "]"));
            }
            return list;
        }
        if (type instanceof FieldType.Obj obj) {
            expect(node.isObject(), node, type, path);
            TableSchema nested = new TableSchema(path, obj.fields());
            Map<String, Object> converted = fields(nested, node, path + ".");
            for (Map.Entry<String, TableSchema.Field> f : obj.fields().entrySet()) {
                if (!f.getValue().optional() && !node.has(f.getKey())) {
                    throw new Mismatch("required field '" + path + "." + f.getKey() + "' is missing");
                }
            }
            return converted;
        }
        FieldType.Kind kind = ((FieldType.Primitive) type).kind();
        switch (kind) {
            case STRING:
                expect(node.isTextual(), node, type, path);
                return node.textValue();
            case BOOLEAN:
                expect(node.isBoolean(), node, type, path);
                return node.booleanValue();
            case NULL:
                expect(node.isNull(), node, type, path);
                return null;
            case NUMBER:
                if (node.isNumber()) {
                    return number(node, path);
                }
                expect(isEncoded(node, "$float"), node, type, path);
                return Double.longBitsToDouble(littleEndian(decode(node.get("$float"), path)));
            case INT64:
                if (node.isIntegralNumber() || node.isNumber() && node.decimalValue().stripTrailingZeros().scale() <= 0) {
                    BigInteger big = node.decimalValue().toBigIntegerExact();
                    if (big.bitLength() > 63) {
                        throw new Mismatch("field '" + path + "': " + big + " does not fit in an int64");
                    }
                    return big.longValue();
                }
                if (node.isTextual() && node.textValue().matches("-?[0-9]{1,19}")) {
                    try {
                        return Long.parseLong(node.textValue());
                    } catch (NumberFormatException e) {
                        throw new Mismatch("field '" + path + "': " + node.textValue() + " does not fit in an int64");
                    }
                }
                expect(isEncoded(node, "$integer"), node, type, path);
                return littleEndian(decode(node.get("$integer"), path));
            case BYTES:
                if (isEncoded(node, "$bytes")) {
                    return decode(node.get("$bytes"), path);
                }
                expect(node.isTextual(), node, type, path);
                return decode(node, path);
            case ANY:
            default:
                return any(node, path);
        }
    }

    /** The largest integer magnitude a Convex number (a float64) holds exactly: 2^53. */
    public static final long MAX_EXACT = 1L << 53;

    /** Any JSON value as a Convex value: numbers are float64 unless encoded otherwise. */
    private static Object any(JsonNode node, String path) throws Mismatch {
        return json(node, path, true);
    }

    /**
     * A JSON number as a Convex number (a float64), refusing what a float64 would change rather than hold: an integer
     * beyond 2^53 that it does not hold exactly (9007199254740993 would land as ...992; 10^20 lands as itself) and a
     * number beyond a float64's range (1e400 would be infinity; {"$float": ...} says infinity on purpose).
     */
    private static double number(JsonNode node, String path) throws Mismatch {
        double value = node.doubleValue();
        String problem = numberProblem(node.toString(), node.isIntegralNumber() ? node.bigIntegerValue() : null, value);
        if (problem != null) {
            throw new Mismatch("field '" + path + "': " + problem);
        }
        return value;
    }

    /**
     * Why the JSON number {@code literal} (an {@code integer}, or null for one with a fraction or exponent) has no
     * Convex form as {@code value}, its nearest double; null when it has. One rule for migration files and both sync
     * paths (jsonb by hand, json by tree).
     */
    public static String numberProblem(String literal, BigInteger integer, double value) {
        if (Double.isInfinite(value)) {
            return literal + " is beyond a Convex number's range";
        }
        if (integer != null && !holdsExactly(integer, value)) {
            return literal + " is not exactly representable as a Convex number (declare the field int64)";
        }
        return null;
    }

    /** Whether {@code value}, the nearest double to {@code integer}, is that integer (always so up to 2^53). */
    private static boolean holdsExactly(BigInteger integer, double value) {
        return integer.abs().compareTo(BigInteger.valueOf(MAX_EXACT)) <= 0
                || new java.math.BigDecimal(value).toBigInteger().equals(integer);
    }

    /**
     * A JSON value as a Convex value: objects, arrays, strings, booleans, null, and numbers as float64, refusing an
     * integer float64 cannot hold exactly (|v| &gt; 2^53) and object keys Convex forbids (a leading {@code $}, empty,
     * over 1024 characters). With {@code encodedForms}, {@code {"$integer": ...}}, {@code {"$float": ...}} and
     * {@code {"$bytes": ...}} are decoded (migration files); without, they are refused as any {@code $} key (jsonb).
     */
    public static Object json(JsonNode node, String path, boolean encodedForms) throws Mismatch {
        if (node.isNull()) {
            return null;
        }
        if (node.isBoolean() || node.isTextual()) {
            return node.isBoolean() ? node.booleanValue() : node.textValue();
        }
        if (node.isNumber()) {
            return number(node, path);
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                list.add(json(node.get(i), path + "[" + i + "]", encodedForms));
            }
            return list;
        }
        if (encodedForms && isEncoded(node, "$integer")) {
            return littleEndian(decode(node.get("$integer"), path));
        }
        if (encodedForms && isEncoded(node, "$float")) {
            return Double.longBitsToDouble(littleEndian(decode(node.get("$float"), path)));
        }
        if (encodedForms && isEncoded(node, "$bytes")) {
            return decode(node.get("$bytes"), path);
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            String problem = TableSchema.objectFieldProblem(key);
            if (problem != null) {
                throw new Mismatch("field '" + path + "." + (key.length() > 40 ? key.substring(0, 40) + "..." : key)
                        + "' " + problem);
            }
            map.put(key, json(e.getValue(), path + "." + key, encodedForms));
        }
        return map;
    }

    private static boolean isEncoded(JsonNode node, String tag) {
        return node.isObject() && node.size() == 1 && node.has(tag) && node.get(tag).isTextual();
    }

    private static byte[] decode(JsonNode base64, String path) throws Mismatch {
        try {
            return Base64.getDecoder().decode(base64.textValue());
        } catch (IllegalArgumentException e) {
            throw new Mismatch("field '" + path + "': not valid base64");
        }
    }

    private static long littleEndian(byte[] bytes) throws Mismatch {
        if (bytes.length != 8) {
            throw new Mismatch("an encoded int64 or float64 must be 8 bytes");
        }
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static boolean expect(boolean ok, JsonNode node, FieldType type, String path) throws Mismatch {
        if (!ok) {
            throw new Mismatch("field '" + path + "': expected " + describe(type) + ", got " + kindOf(node));
        }
        return true;
    }

    private static String kindOf(JsonNode node) {
        if (node.isNull()) {
            return "null";
        }
        if (node.isTextual()) {
            return "string \"" + (node.textValue().length() > 40 ? node.textValue().substring(0, 40) + "..." : node.textValue()) + "\"";
        }
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + (node.isContainerNode() ? "" : node);
    }

    /** The type as written in a migration file. */
    public static String describe(FieldType type) {
        if (type instanceof FieldType.Primitive p) {
            return p.kind().name().toLowerCase(java.util.Locale.ROOT);
        }
        if (type instanceof FieldType.Id id) {
            return "id<" + id.table() + ">";
        }
        if (type instanceof FieldType.Array a) {
            return describe(a.element()) + "[]";
        }
        if (type instanceof FieldType.Union u) {
            return String.join("|", u.options().stream().map(ConvexDocuments::describe).toList());
        }
        return "object";
    }
}
