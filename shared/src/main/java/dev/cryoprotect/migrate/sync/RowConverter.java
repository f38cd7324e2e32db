package dev.cryoprotect.migrate.sync;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.convex.ConvexJsonWriter;
import dev.cryoprotect.migrate.model.ConvexDocuments;
import dev.cryoprotect.migrate.model.FieldType;
import dev.cryoprotect.migrate.model.TableSchema;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns one source row into a Convex document. The documented mapping (README, "Sync"): text types and uuid to
 * string; int2, int4, float4, float8 to number; int8 to int64 where the declared schema says int64, else to number when
 * exactly representable (|v| &lt;= 2^53); numeric to number when it round-trips, else to string where the schema says
 * string; boolean; timestamptz, timestamp (as UTC) and date to epoch milliseconds; json and jsonb to objects and
 * arrays; bytea to bytes; arrays element by element; anything else to its text. NULL omits the field, or is null
 * where the declared type allows null. When the table is declared in the migrations, only its declared fields are
 * written and their declared types decide.
 */
final class RowConverter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_EXACT = ConvexDocuments.MAX_EXACT;
    private static final int MAX_ARRAY = JsonColumn.MAX_ARRAY;
    private static final int MAX_FIELDS = JsonColumn.MAX_FIELDS;

    /** A value that cannot be written; the message says which column and why. */
    static final class Rejected extends Exception {
        private static final long serialVersionUID = 1L;

        Rejected(String message) {
            super(message);
        }
    }

    private final SourceTable table;
    private final Optional<TableSchema> declared;
    /** Per source column: its declared field (null for an undeclared table), and whether it is written at all. */
    private final TableSchema.Field[] fields;
    private final boolean[] written;
    /** Per source column: its field name as written, encoded once. */
    private final byte[][] names;
    /** The encoding buffer, reused row after row by the one thread that converts this table's rows. */
    private final ConvexJsonWriter out = new ConvexJsonWriter(512);
    /** The jsonb transcoder that writes into {@link #out}. */
    private final JsonColumn json = new JsonColumn(out);

    RowConverter(SourceTable table, Optional<TableSchema> declared) {
        this.table = table;
        this.declared = declared;
        List<SourceTable.Column> columns = table.columns();
        fields = new TableSchema.Field[columns.size()];
        written = new boolean[columns.size()];
        names = new byte[columns.size()][];
        for (int i = 0; i < columns.size(); i++) {
            String name = columns.get(i).name();
            fields[i] = declared.map(d -> d.fields().get(name)).orElse(null);
            written[i] = declared.isEmpty() || fields[i] != null;
            if (written[i]) {
                names[i] = ConvexJsonWriter.fieldNameBytes(name);
            }
        }
    }

    /** Columns the declared schema does not name: they are not written. */
    List<String> skippedColumns() {
        return declared.map(d -> table.columns().stream().map(SourceTable.Column::name)
                .filter(c -> !d.fields().containsKey(c)).toList()).orElse(List.of());
    }

    /** The document for one row, whose values are the columns of {@link SourceTable#columns()} in order. */
    Map<String, Object> document(Object[] values) throws Rejected {
        Map<String, Object> doc = new LinkedHashMap<>();
        convert(values, (i, value) -> doc.put(table.columns().get(i).name(), value));
        return doc;
    }

    /**
     * The same document in its encoded form: exactly the bytes of {@code ConvexValues.encodeToBytes(document(values))},
     * written without building the map (the sync's hot path).
     */
    byte[] encode(Object[] values) throws Rejected {
        out.reset().startObject();
        convert(values, intoWriter);
        return out.endObject().toByteArray();
    }

    /** How deeply the document {@link #encode} wrote last nests, as Convex counts it. */
    int nesting() {
        return out.nesting();
    }

    /** How {@link #encode} takes a row's fields: into {@link #out}. */
    private final Fields intoWriter = new Fields() {
        @Override
        public void field(int column, Object value) throws Rejected {
            try {
                out.fieldName(names[column]).value(value);
            } catch (IllegalArgumentException e) {
                throw notUnicode(column, e); // text that is not valid Unicode
            }
        }

        @Override
        public boolean undeclared(int column, Object raw, String udt) throws Rejected {
            out.fieldName(names[column]);
            writeDefault(column, raw, udt);
            return true;
        }
    };

    /**
     * An undeclared column's value written as {@link #defaults} maps it, without the object it would make: the common
     * kinds here (a boxed double per number is what this saves), anything else through {@code defaults}.
     */
    private void writeDefault(int column, Object raw, String udt) throws Rejected {
        String name = table.columns().get(column).name();
        try {
            if (raw instanceof Integer i) {
                out.number(i);
            } else if (raw instanceof Long l) {
                out.number(exactNumber(l, name));
            } else if (raw instanceof Double d) {
                out.number(d);
            } else if (raw instanceof Instant t) {
                out.number(epochMillis(t));
            } else if (raw instanceof Boolean b) {
                out.bool(b);
            } else if (raw instanceof JsonColumn.Text text) {
                json.write(text.utf8(), name);
            } else if (raw instanceof String s && !isJson(udt)) {
                out.string(s);
            } else if (!(raw instanceof BigDecimal bd && out.plainDecimal(bd))) { // a numeric written from its digits
                out.value(converted(raw, udt, null, name));
            }
        } catch (IllegalArgumentException e) {
            throw notUnicode(column, e);
        } catch (RuntimeException e) {
            throw valueFailed(name, e);
        }
    }

    private Rejected notUnicode(int column, IllegalArgumentException e) {
        return new Rejected("column " + table.columns().get(column).name() + ": " + e.getMessage());
    }

    /** Told each written field of a row in column order, by column index. */
    private interface Fields {
        void field(int column, Object value) throws Rejected;

        /**
         * A value of a column no declared schema types, not an array, for a taker that converts it itself: false when
         * this one leaves it to {@link #field} after conversion.
         */
        default boolean undeclared(int column, Object raw, String udt) throws Rejected {
            return false;
        }
    }

    private void convert(Object[] values, Fields document) throws Rejected {
        List<SourceTable.Column> columns = table.columns();
        for (int i = 0; i < fields.length; i++) {
            if (!written[i]) {
                continue;
            }
            SourceTable.Column column = columns.get(i);
            TableSchema.Field field = fields[i];
            Object raw = values[i];
            if (raw == null) {
                if (field != null && !field.optional() && !allowsNull(field.type())) {
                    throw new Rejected("column " + column.name() + " is NULL but the declared field is required");
                }
                if (field != null && allowsNull(field.type())) {
                    document.field(i, null);
                }
                continue; // omitted: an optional field
            }
            if (field == null && !(raw instanceof Object[]) && document.undeclared(i, raw, column.udtName())) {
                continue;
            }
            document.field(i, converted(raw, column.udtName(), field == null ? null : field.type(), column.name()));
        }
    }

    /** {@link #convert(Object, String, FieldType, String)}, where whatever a value does costs this row, never the run. */
    private Object converted(Object raw, String udt, FieldType type, String column) throws Rejected {
        try {
            return convert(raw, udt, type, column);
        } catch (RuntimeException e) {
            throw valueFailed(column, e);
        }
    }

    /** An overflow, a date out of range: whatever a value does is a reason for this row's rejection. */
    private static Rejected valueFailed(String column, RuntimeException e) {
        return new Rejected("column " + column + ": " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"));
    }

    /**
     * Convex's limits on a value: arrays of at most 8,192 values, objects of at most 1,024 fields. Checked where lists
     * and maps are made: a PostgreSQL array as it is converted, a json value's tree here (jsonb checks its own).
     */
    private static void checkLimits(Object value, String column, int depth) throws Rejected {
        if (value instanceof List<?> list) {
            if (list.size() > MAX_ARRAY) {
                throw new Rejected("column " + column + ": an array of " + list.size() + " values; Convex stores at most "
                        + MAX_ARRAY);
            }
            for (Object element : list) {
                checkLimits(element, column, depth + 1);
            }
        } else if (value instanceof Map<?, ?> map) {
            if (map.size() > MAX_FIELDS) {
                throw new Rejected("column " + column + ": an object of " + map.size() + " fields; Convex stores at most "
                        + MAX_FIELDS);
            }
            for (Object element : map.values()) {
                checkLimits(element, column, depth + 1);
            }
        }
    }

    private Object convert(Object raw, String udt, FieldType type, String column) throws Rejected {
        if (type instanceof FieldType.Union union) {
            for (FieldType option : union.options()) {
                try {
                    return convert(raw, udt, option, column);
                } catch (Rejected ignored) {
                    // try the next option
                }
            }
            throw new Rejected("column " + column + ": value fits none of the declared types");
        }
        FieldType.Kind kind = type instanceof FieldType.Primitive p ? p.kind() : null;
        if (type instanceof FieldType.Id) {
            kind = FieldType.Kind.STRING;
        }
        if (raw instanceof Object[] elements) {
            FieldType element = type instanceof FieldType.Array a ? a.element() : null;
            if (type != null && element == null && kind != FieldType.Kind.ANY) {
                throw new Rejected("column " + column + " is an array but the declared field is not");
            }
            if (elements.length > MAX_ARRAY) {
                throw new Rejected("column " + column + ": an array of " + elements.length + " values; Convex stores at"
                        + " most " + MAX_ARRAY);
            }
            List<Object> list = new ArrayList<>(elements.length);
            String elementUdt = udt.startsWith("_") ? udt.substring(1) : udt;
            for (Object e : elements) {
                list.add(e == null ? null : convert(e, elementUdt, element, column));
            }
            return list;
        }
        if (kind == FieldType.Kind.STRING) {
            return raw instanceof BigDecimal d ? d.toPlainString() : text(raw);
        }
        if (type instanceof FieldType.Obj || type instanceof FieldType.Array || kind == FieldType.Kind.ANY) {
            return raw instanceof String s && isJson(udt) ? json(s, udt, column)
                    : defaults(raw, udt, false, column);
        }
        return defaults(raw, udt, kind == FieldType.Kind.INT64, column);
    }

    private static Object defaults(Object raw, String udt, boolean int64, String column) throws Rejected {
        if (raw instanceof Double d && int64) {
            throw new Rejected("column " + column + ": " + d + " is not an int64");
        }
        if (raw instanceof Integer i) {
            return int64 ? (Object) i.longValue() : (Object) i.doubleValue();
        }
        if (raw instanceof Long l) {
            return int64 ? (Object) l : (Object) exactNumber(l, column);
        }
        if (raw instanceof Double d) {
            return d;
        }
        if (raw instanceof BigDecimal bd) {
            if (int64) {
                try {
                    return bd.longValueExact();
                } catch (ArithmeticException e) {
                    throw new Rejected("column " + column + ": numeric " + bd + " is not an int64");
                }
            }
            double d = bd.doubleValue();
            if (roundTrips(bd, d)) {
                return d;
            }
            throw new Rejected("column " + column + ": numeric " + bd + " has no exact Convex number; declare the field"
                    + " \"string\" to keep it as text");
        }
        if (raw instanceof Boolean b) {
            return b;
        }
        if (raw instanceof byte[] bytes) {
            return bytes;
        }
        if (raw instanceof Instant t) {
            return epochMillis(t);
        }
        if (raw instanceof LocalDateTime t) { // a timestamp without time zone, read as UTC
            return (double) (t.toEpochSecond(ZoneOffset.UTC) * 1000 + t.getNano() / 1_000_000);
        }
        if (raw instanceof LocalDate d) {
            return (double) (d.toEpochDay() * 86_400_000L);
        }
        if (raw instanceof JsonColumn.Text json) {
            return JsonColumn.encode(json.utf8(), column); // jsonb as the binary copy reads it: its UTF-8 text
        }
        String s = text(raw);
        if (isJson(udt)) {
            return json(s, udt, column);
        }
        return s;
    }

    /** An int8 as a Convex number, which holds integers exactly up to 2^53. */
    private static double exactNumber(long l, String column) throws Rejected {
        if (l > MAX_EXACT || l < -MAX_EXACT) { // not Math.abs: Math.abs(Long.MIN_VALUE) is negative
            throw new Rejected("column " + column + ": int8 value " + l + " is not exactly representable as a Convex"
                    + " number; declare the field \"int64\" in a migration");
        }
        return l;
    }

    private static double epochMillis(Instant t) {
        return t.toEpochMilli();
    }

    private static boolean isJson(String udt) {
        return udt.equals("json") || udt.equals("jsonb");
    }

    /**
     * Whether {@code d}, the double nearest to {@code value}, is written back as exactly {@code value} by a client
     * (JavaScript's Number::toString, ECMA-262: the fewest significant digits that read back as the double, the
     * closest to it among those). Not {@code BigDecimal.valueOf(d)}: before JDK 19, Double.toString is not always the
     * shortest (1e23 is "9.999999999999999E22", 5e-324 is "4.9E-324"), and those values would be rejected.
     */
    static boolean roundTrips(BigDecimal value, double d) {
        if (!Double.isFinite(d)) {
            return false;
        }
        if (d == 0) {
            return value.signum() == 0;
        }
        if (value.precision() <= 15 && Math.abs(d) >= Double.MIN_NORMAL) {
            return true; // up to 15 significant digits map to distinct doubles (DBL_DIG); trailing zeros only add some
        }
        BigDecimal v = value.stripTrailingZeros();
        int digits = v.precision();
        if (digits <= 15 && Math.abs(d) >= Double.MIN_NORMAL) {
            return true;
        }
        if (digits > 17) {
            return false;
        }
        BigDecimal exact = new BigDecimal(d);
        if (digits > 1) {
            // A shorter decimal that reads back as d is what a client writes (if one has fewer than digits - 1
            // digits, one of the two nearest (digits - 1)-digit neighbours of d reads back too).
            for (java.math.RoundingMode mode : new java.math.RoundingMode[]{java.math.RoundingMode.FLOOR,
                    java.math.RoundingMode.CEILING}) {
                if (exact.round(new java.math.MathContext(digits - 1, mode)).doubleValue() == d) {
                    return false;
                }
            }
        }
        // Among decimals of this many digits, the client writes the one nearest d (on a tie, the one whose last digit
        // is even): v must be a nearest neighbour, and nearer than the other one when that reads back as d too.
        BigDecimal floor = exact.round(new java.math.MathContext(digits, java.math.RoundingMode.FLOOR));
        BigDecimal ceiling = exact.round(new java.math.MathContext(digits, java.math.RoundingMode.CEILING));
        BigDecimal other = v.compareTo(floor) == 0 ? ceiling : v.compareTo(ceiling) == 0 ? floor : null;
        if (other == null) {
            return false;
        }
        if (other.compareTo(v) == 0 || other.doubleValue() != d) {
            return true; // d is exactly v, or v is the only one of this many digits that reads back as d
        }
        int nearer = v.subtract(exact).abs().compareTo(other.subtract(exact).abs());
        return nearer < 0 || nearer == 0 && !v.unscaledValue().testBit(0);
    }

    private static String text(Object raw) {
        if (raw instanceof Instant t) {
            return t.atOffset(ZoneOffset.UTC).toString(); // as an OffsetDateTime says it: "2024-01-01T00:00Z"
        }
        return String.valueOf(raw);
    }

    /** jsonb straight to its encoded form (the hot path); json through a tree, which keeps the last of duplicate keys. */
    private static Object json(String text, String udt, String column) throws Rejected {
        if (udt.equals("jsonb")) {
            return JsonColumn.encode(text, column);
        }
        try {
            Object value = ConvexDocuments.json(JSON.readTree(text), column, false);
            checkLimits(value, column, 0);
            return value;
        } catch (IOException e) {
            throw new Rejected("column " + column + ": not valid JSON");
        } catch (ConvexDocuments.Mismatch e) {
            throw new Rejected("column " + column + ": " + e.getMessage());
        }
    }

    private static boolean allowsNull(FieldType type) {
        if (type instanceof FieldType.Primitive p) {
            return p.kind() == FieldType.Kind.NULL || p.kind() == FieldType.Kind.ANY;
        }
        return type instanceof FieldType.Union u && u.options().stream().anyMatch(RowConverter::allowsNull);
    }
}
