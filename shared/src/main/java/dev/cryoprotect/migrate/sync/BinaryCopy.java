package dev.cryoprotect.migrate.sync;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Rows of a query through {@code COPY (query) TO STDOUT (FORMAT binary)}: PostgreSQL's cheapest way out, decoded here
 * straight to the reader's value types. Only types whose binary form is simple and stable are read in binary; the
 * reader asks PostgreSQL for every other column as text ({@link #select}), so each value has exactly one decoding.
 */
final class BinaryCopy {
    /** Types read in binary; any other column is selected as text (arrays of them as text[]). */
    private static final Set<String> BINARY = Set.of("int2", "int4", "int8", "float8", "numeric", "bool",
            "text", "varchar", "bpchar", "name", "uuid", "timestamptz", "timestamp", "date", "bytea", "json", "jsonb");
    private static final byte[] SIGNATURE = "PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1);
    private static final int HEADER = SIGNATURE.length + 8; // signature, flags, header extension length
    /** PostgreSQL counts timestamps from 2000-01-01 00:00 UTC, in microseconds, and dates from that day. */
    private static final long EPOCH_2000_SECONDS = 946_684_800L;
    private static final long EPOCH_2000_DAYS = 10_957L;

    private BinaryCopy() {
    }

    /**
     * How a column is selected for a binary copy: as itself where decoded here, else as the text of its type's output
     * function (what psql shows; not {@code ::text}, which for inet adds a mask and for xml keeps the declaration),
     * NULL kept apart from an empty text by {@code num_nulls}, which also tells a NULL from a composite of NULLs.
     */
    private static String select(SourceTable.Column column) {
        String quoted = SourceTable.quote(column.name());
        if (BINARY.contains(elementType(column))) {
            return quoted;
        }
        return "CASE WHEN num_nulls(" + quoted + ") = 1 THEN NULL ELSE format('%s', " + quoted + ") END";
    }

    /** How a value is decoded: chosen once per column, not looked up by name per value. */
    enum Decoding {
        INT2, INT4, INT8, FLOAT8, BOOL, NUMERIC, UUID, TIMESTAMPTZ, TIMESTAMP, DATE, BYTEA, JSONB,
        /** float4 as its text, and arrays of it from their text form. */
        REAL, REAL_ARRAY,
        /** Arrays of text-selected types from their text form; box separates its elements with ';'. */
        TEXT_ARRAY, BOX_ARRAY,
        /** Text types, json, and whatever was selected as its text. */
        TEXT;

        static Decoding of(String binaryType) {
            return switch (binaryType) {
                case "int2" -> INT2;
                case "int4" -> INT4;
                case "int8" -> INT8;
                case "float8" -> FLOAT8;
                case "bool" -> BOOL;
                case "numeric" -> NUMERIC;
                case "uuid" -> UUID;
                case "timestamptz" -> TIMESTAMPTZ;
                case "timestamp" -> TIMESTAMP;
                case "date" -> DATE;
                case "bytea" -> BYTEA;
                case "jsonb" -> JSONB;
                default -> TEXT;
            };
        }
    }

    /**
     * How a column's values are decoded, after {@link #select}: a binary array by its element type (with
     * {@code arrays}), an array of other elements from its text form, anything else from its text.
     */
    private static Decoding decoding(SourceTable.Column column) {
        String element = elementType(column);
        if (BINARY.contains(element)) {
            return Decoding.of(element);
        }
        if (element.equals("float4")) {
            // A real's double is the one of PostgreSQL's shortest decimal (0.1, not the widened 0.10000000149011612):
            // what clients read, and what the sync wrote before it read binary. Its text says it exactly.
            return column.isArray() ? Decoding.REAL_ARRAY : Decoding.REAL;
        }
        return column.isArray() ? (element.equals("box") ? Decoding.BOX_ARRAY : Decoding.TEXT_ARRAY) : Decoding.TEXT;
    }

    /** Whether the column comes as a binary array. */
    private static boolean binaryArray(SourceTable.Column column) {
        return column.isArray() && BINARY.contains(elementType(column));
    }

    private static String elementType(SourceTable.Column column) {
        return column.isArray() ? column.udtName().substring(1) : column.udtName();
    }

    /** Told each row's values; returns false to stop (the rest of the copy is read and dropped). */
    interface Rows {
        boolean row(Object[] values);
    }

    /**
     * The select list of a copy: {@code columns} as {@link #select} reads them, then {@code trailing} as text (aliased:
     * an output column named like a table column would make ORDER BY ambiguous).
     */
    static String selectList(List<SourceTable.Column> columns, List<SourceTable.Column> trailing) {
        List<String> select = new ArrayList<>();
        columns.forEach(c -> select.add(select(c)));
        for (int i = 0; i < trailing.size(); i++) {
            select.add(SourceTable.quote(trailing.get(i).name()) + "::text AS \"__copy_text_" + i + "\"");
        }
        return String.join(", ", select);
    }

    /**
     * Runs the copy of {@code query} (whose literals the caller has quoted, and whose select list is
     * {@link #selectList}) and decodes each row: the values of {@code columns}, then {@code trailing} text values.
     */
    static void read(Connection connection, String query, List<SourceTable.Column> columns, int trailing, Rows rows)
            throws SQLException {
        Decoding[] types = new Decoding[columns.size() + trailing];
        boolean[] arrays = new boolean[types.length];
        Arrays.fill(types, Decoding.TEXT);
        for (int i = 0; i < columns.size(); i++) {
            types[i] = decoding(columns.get(i));
            arrays[i] = binaryArray(columns.get(i));
        }
        CopyOut copy = connection.unwrap(PGConnection.class).getCopyAPI()
                .copyOut("COPY (" + query + ") TO STDOUT (FORMAT binary)");
        try {
            // PostgreSQL sends a row per CopyData message, the file header in front of the first; several rows in a
            // message would be read as well.
            byte[] message = copy.readFromCopy();
            if (message == null || message.length < HEADER || !Arrays.equals(message, 0, SIGNATURE.length, SIGNATURE,
                    0, SIGNATURE.length)) {
                throw new SQLException("COPY did not answer in PostgreSQL's binary format", "08P01");
            }
            int[] at = {HEADER + int32(message, SIGNATURE.length + 4)}; // after the header extension
            boolean wanted = true;
            reading:
            while (message != null) {
                while (at[0] < message.length) {
                    int fields = (short) uint16(message, at[0]);
                    if (fields == -1) {
                        break reading; // the trailer
                    }
                    if (fields != types.length) {
                        throw new SQLException("COPY answered " + fields + " columns, expected " + types.length, "08P01");
                    }
                    at[0] += 2;
                    Object[] values = decode(message, at, types, arrays);
                    if (wanted) {
                        wanted = rows.row(values);
                    }
                }
                message = copy.readFromCopy();
                at[0] = 0;
            }
            while (copy.readFromCopy() != null) {
                // the end of the copy, so the connection is idle again
            }
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        }
    }

    /** One row's values from {@code at[0]}, which is moved past them. */
    private static Object[] decode(byte[] row, int[] at, Decoding[] types, boolean[] arrays) {
        Object[] values = new Object[types.length];
        for (int i = 0; i < values.length; i++) {
            int length = int32(row, at[0]);
            at[0] += 4;
            if (length >= 0) {
                values[i] = arrays[i] ? array(row, at[0], types[i]) : value(row, at[0], length, types[i]);
                at[0] += length;
            }
        }
        return values;
    }

    /** One value of a binary-decoded type (or UTF-8 text). */
    static Object value(byte[] b, int at, int length, Decoding type) {
        return switch (type) {
            case INT2 -> (int) (short) ((b[at] & 0xff) << 8 | b[at + 1] & 0xff);
            case INT4 -> int32(b, at);
            case INT8 -> int64(b, at);
            case FLOAT8 -> Double.longBitsToDouble(int64(b, at));
            case BOOL -> b[at] != 0;
            case NUMERIC -> numeric(b, at);
            case UUID -> new java.util.UUID(int64(b, at), int64(b, at + 8)).toString();
            case TIMESTAMPTZ -> {
                long micros = int64(b, at);
                yield micros == Long.MAX_VALUE || micros == Long.MIN_VALUE ? infinity(micros > 0)
                        : Instant.ofEpochSecond(epochSecond(micros), nanoOfSecond(micros));
            }
            case TIMESTAMP -> {
                long micros = int64(b, at);
                yield micros == Long.MAX_VALUE || micros == Long.MIN_VALUE ? infinity(micros > 0)
                        : LocalDateTime.ofEpochSecond(epochSecond(micros), nanoOfSecond(micros), ZoneOffset.UTC);
            }
            case DATE -> {
                int days = int32(b, at);
                yield days == Integer.MAX_VALUE || days == Integer.MIN_VALUE ? infinity(days > 0)
                        : LocalDate.ofEpochDay(EPOCH_2000_DAYS + days);
            }
            case BYTEA -> Arrays.copyOfRange(b, at, at + length);
            case JSONB -> new JsonColumn.Text(Arrays.copyOfRange(b, at + 1, at + length)); // after the version byte
            case REAL -> Double.parseDouble(new String(b, at, length, StandardCharsets.UTF_8));
            case REAL_ARRAY -> reals(textArray(new String(b, at, length, StandardCharsets.UTF_8), ','));
            case TEXT_ARRAY -> textArray(new String(b, at, length, StandardCharsets.UTF_8), ',');
            case BOX_ARRAY -> textArray(new String(b, at, length, StandardCharsets.UTF_8), ';');
            case TEXT -> new String(b, at, length, StandardCharsets.UTF_8);
        };
    }

    /**
     * An array: nested Object[] for each dimension, elements decoded by type, NULL elements null. The header names the
     * element type by OID; the column's type name says the same and is what is used.
     */
    static Object[] array(byte[] b, int start, Decoding elementType) {
        int dimensions = int32(b, start);
        if (dimensions == 0) {
            return new Object[0];
        }
        int[] sizes = new int[dimensions];
        for (int d = 0; d < dimensions; d++) {
            sizes[d] = int32(b, start + 12 + 8 * d);
        }
        int[] at = {start + 12 + 8 * dimensions};
        return dimension(b, at, sizes, 0, elementType);
    }

    private static Object[] dimension(byte[] b, int[] at, int[] sizes, int d, Decoding elementType) {
        Object[] values = new Object[sizes[d]];
        for (int i = 0; i < values.length; i++) {
            if (d + 1 < sizes.length) {
                values[i] = dimension(b, at, sizes, d + 1, elementType);
                continue;
            }
            int length = int32(b, at[0]);
            at[0] += 4;
            if (length >= 0) {
                values[i] = value(b, at[0], length, elementType);
                at[0] += length;
            }
        }
        return values;
    }

    private static Object[] reals(Object[] texts) {
        for (int i = 0; i < texts.length; i++) {
            texts[i] = texts[i] instanceof Object[] inner ? reals(inner)
                    : texts[i] == null ? null : Double.parseDouble((String) texts[i]);
        }
        return texts;
    }

    private static long epochSecond(long micros) {
        return Math.floorDiv(micros, 1_000_000L) + EPOCH_2000_SECONDS;
    }

    private static int nanoOfSecond(long micros) {
        return (int) Math.floorMod(micros, 1_000_000L) * 1000;
    }

    /** PostgreSQL's 'infinity' and '-infinity' timestamps and dates: the Convex numbers they stand for. */
    private static Double infinity(boolean positive) {
        return positive ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    /**
     * An array in PostgreSQL's text form ({@code {a,"b c",NULL,{d}}}, perhaps after {@code [0:2]=}) as nested Object[]:
     * elements are their output text, unquoted, NULL as null.
     */
    static Object[] textArray(String text, char delimiter) {
        int[] at = {text.startsWith("[") ? text.indexOf('=') + 1 : 0};
        return textDimension(text, at, delimiter);
    }

    private static Object[] textDimension(String text, int[] at, char delimiter) {
        List<Object> values = new ArrayList<>();
        at[0]++; // '{'
        while (text.charAt(at[0]) != '}') {
            char c = text.charAt(at[0]);
            if (c == '{') {
                values.add(textDimension(text, at, delimiter));
            } else if (c == '"') {
                StringBuilder element = new StringBuilder();
                for (at[0]++; text.charAt(at[0]) != '"'; at[0]++) {
                    if (text.charAt(at[0]) == '\\') {
                        at[0]++;
                    }
                    element.append(text.charAt(at[0]));
                }
                at[0]++;
                values.add(element.toString());
            } else {
                int end = at[0];
                while (text.charAt(end) != delimiter && text.charAt(end) != '}') {
                    end++;
                }
                String element = text.substring(at[0], end);
                values.add(element.equals("NULL") ? null : element);
                at[0] = end;
            }
            if (text.charAt(at[0]) == delimiter) {
                at[0]++;
            }
        }
        at[0]++; // '}'
        return values.toArray();
    }

    /** numeric: base-10000 digits with a weight, a sign (or NaN, ±Infinity as doubles) and a display scale. */
    private static Object numeric(byte[] b, int at) {
        int digits = uint16(b, at);
        int weight = (short) uint16(b, at + 2);
        int sign = uint16(b, at + 4);
        int scale = uint16(b, at + 6);
        switch (sign) {
            case 0xC000: return Double.NaN;
            case 0xD000: return Double.POSITIVE_INFINITY;
            case 0xF000: return Double.NEGATIVE_INFINITY;
            default: break;
        }
        // The digits stand for unscaled * 10000^(weight - digits + 1), shown with the display scale. Up to four base
        // 10000 digits fit a long, and most numerics have no more.
        int valueScale = -4 * (weight - digits + 1);
        BigDecimal value;
        if (digits <= 4) {
            long unscaled = 0;
            for (int i = 0; i < digits; i++) {
                unscaled = unscaled * 10_000 + uint16(b, at + 8 + 2 * i);
            }
            for (; valueScale > scale && unscaled % 10 == 0; valueScale--) {
                unscaled /= 10; // the zeros below the display scale, dropped here rather than by a division below
            }
            value = BigDecimal.valueOf(unscaled, valueScale);
        } else {
            BigInteger unscaled = BigInteger.ZERO;
            BigInteger base = BigInteger.valueOf(10_000);
            for (int i = 0; i < digits; i++) {
                unscaled = unscaled.multiply(base).add(BigInteger.valueOf(uint16(b, at + 8 + 2 * i)));
            }
            value = new BigDecimal(unscaled, valueScale);
        }
        value = value.setScale(scale, java.math.RoundingMode.UNNECESSARY);
        return sign == 0x4000 ? value.negate() : value;
    }

    private static int uint16(byte[] b, int at) {
        return (b[at] & 0xff) << 8 | b[at + 1] & 0xff;
    }

    private static int int32(byte[] b, int at) {
        return (b[at] & 0xff) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | b[at + 3] & 0xff;
    }

    private static long int64(byte[] b, int at) {
        return (long) int32(b, at) << 32 | int32(b, at + 4) & 0xffffffffL;
    }
}
