package dev.cryoprotect.migrate.convex;

import com.fasterxml.jackson.core.io.NumberOutput;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Writes Convex values in their {@code convex_encoded_json} form (the rules of {@link ConvexValues}) straight into a
 * growable byte buffer that is reused from value to value: the sync encodes every document of every row, and a
 * generator and a map per row cost more than the row's own work. The bytes are exactly those Jackson's generator
 * writes (escapes, shortest doubles, UTF-8), so the hashes of documents synced by earlier versions stay valid.
 * Not thread-safe: one writer per thread.
 */
public final class ConvexJsonWriter {
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] LOWER_HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final double MAX_EXACT = 9007199254740992.0; // 2^53
    private static final ObjectMapper TREES = new ObjectMapper(ConvexValues.STREAMING);

    private byte[] buffer;
    private int length;
    /** Whether the next value or field name needs a comma before it: a value was written at this level. */
    private boolean comma;
    /** Objects and arrays open now, and the most open at once since {@link #reset()}: Convex limits nesting. */
    private int depth;
    private int maxDepth;
    /** Whether a value was passed to {@link #raw} since {@link #reset()}: its nesting is not known here. */
    private boolean opaque;

    public ConvexJsonWriter() {
        this(256);
    }

    public ConvexJsonWriter(int capacity) {
        buffer = new byte[Math.max(16, capacity)];
    }

    /** Empties the buffer for the next value. */
    public ConvexJsonWriter reset() {
        length = 0;
        comma = false;
        depth = 0;
        maxDepth = 0;
        opaque = false;
        return this;
    }

    /**
     * How deeply the objects and arrays written since {@link #reset()} nested, as Convex counts it: a document of
     * plain fields is 1, an array in it 2. The {@code $integer}, {@code $float} and {@code $bytes} wrappers are values,
     * not objects, and do not count. -1 when a value passed to {@link #raw} was written: its insides were not counted.
     */
    public int nesting() {
        return opaque ? -1 : maxDepth;
    }

    public int length() {
        return length;
    }

    public byte[] toByteArray() {
        return length == buffer.length ? buffer : Arrays.copyOf(buffer, length);
    }

    /** The buffer itself, valid up to {@link #length()}: for a caller that sends it at once, without a copy. */
    public byte[] array() {
        return buffer;
    }

    /** How many bytes {@link #string(String)} writes for {@code s}: to size a buffer exactly. */
    public static int stringLength(String s) {
        int bytes = 2;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x80) {
                bytes += c == '"' || c == '\\' ? 2 : 1;
            } else if (c < 0x20) {
                bytes += c == '\b' || c == '\t' || c == '\f' || c == '\n' || c == '\r' ? 2 : 6;
            } else if (c < 0x800) {
                bytes += 2;
            } else {
                bytes += Character.isSurrogate(c) ? 6 : 3; // each half of a pair as its escape
            }
        }
        return bytes;
    }

    /**
     * One value by the rules of {@link ConvexValues}: null, Boolean, a number (Double and the smaller integer types as
     * float64, Long and BigInteger as int64), byte[], String, List, Map with String keys, an {@link ConvexValues.Encoded}
     * value as its bytes, a JsonNode as already encoded.
     *
     * @throws IllegalArgumentException a field name starting with '$', an int64 out of range, an unpaired surrogate,
     *                                  or a value of no Convex kind
     */
    public ConvexJsonWriter value(Object value) {
        if (value == null) {
            raw(NULL);
        } else if (value instanceof String s) {
            string(s);
        } else if (value instanceof Double d) {
            number(d);
        } else if (value instanceof Boolean b) {
            raw(b ? TRUE : FALSE);
        } else if (value instanceof Long l) {
            int64(l);
        } else if (value instanceof ConvexValues.Encoded encoded) {
            raw(encoded.json()); // a jsonb value, a batch's documents
        } else {
            otherValue(value);
        }
        return this;
    }

    /** The kinds of {@link #value} a sync's row has fewer of: kept apart so the common ones compile small. */
    private void otherValue(Object value) {
        if (value instanceof Integer || value instanceof Float || value instanceof Short
                || value instanceof Byte) {
            number(((Number) value).doubleValue());
        } else if (value instanceof byte[] bytes) {
            special("$bytes", bytes);
        } else if (value instanceof List<?> list) {
            startArray();
            for (Object item : list) {
                value(item);
            }
            endArray();
        } else if (value instanceof Map<?, ?> map) {
            startObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                fieldName(String.valueOf(e.getKey()));
                value(e.getValue());
            }
            endObject();
        } else if (value instanceof BigInteger big) {
            if (big.bitLength() > 63) {
                throw new IllegalArgumentException(big + " does not fit in a Convex int64");
            }
            int64(big.longValue());
        } else if (value instanceof JsonNode node) {
            try {
                raw(TREES.writeValueAsBytes(node)); // a tree is taken as already encoded
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException("cannot write a JSON tree: " + e.getOriginalMessage(), e);
            }
        } else {
            throw new IllegalArgumentException("not a Convex value: " + value.getClass().getName());
        }
    }

    /**
     * A float64: NaN, the infinities and -0 as {@code {"$float": base64}}, integral values below 2^53 by their digits,
     * others as the shortest decimal that reads back as the same double.
     */
    public ConvexJsonWriter number(double d) {
        if (ConvexValues.isSpecialFloat(d)) {
            special("$float", littleEndian(Double.doubleToRawLongBits(d)));
        } else if (d == (long) d && Math.abs(d) < MAX_EXACT) {
            separate();
            integral((long) d); // ids, counts and epoch milliseconds: most numbers a sync writes
            comma = true;
        } else {
            separate();
            ascii(NumberOutput.toString(d, true));
            comma = true;
        }
        return this;
    }

    /**
     * A decimal of at most 15 significant digits between 0.001 and 10^7 (a numeric column's usual value), written as
     * {@link #number} writes the double nearest it, but from its own digits: up to 15 significant digits, a decimal is
     * the shortest that reads back as that double (DBL_DIG), so no search for the shortest digits is needed. Returns
     * false, having written nothing, for any other decimal.
     */
    public boolean plainDecimal(BigDecimal value) {
        if (value.precision() > 15 || value.scale() <= 0) {
            return false; // whole numbers go through number()'s exact integral path
        }
        long unscaled = value.unscaledValue().longValue();
        int scale = value.scale();
        while (scale > 0 && unscaled % 10 == 0) {
            unscaled /= 10;
            scale--;
        }
        long magnitude = Math.abs(unscaled);
        int digits = digits(magnitude);
        int whole = digits - scale; // digits before the point; 0 or less: "0." and -whole zeros first
        if (unscaled == 0 || scale == 0 || whole > 7 || whole < -2) {
            return false; // zero, whole, at least 10^7 or below 0.001: number() writes those
        }
        separate();
        ensure(digits + 6);
        if (unscaled < 0) {
            buffer[length++] = '-';
        }
        if (whole <= 0) {
            buffer[length++] = '0';
            buffer[length++] = '.';
            for (int i = whole; i < 0; i++) {
                buffer[length++] = '0';
            }
            length = writeDigits(magnitude, length + digits);
        } else {
            int start = length;
            int end = writeDigits(magnitude, start + 1 + digits); // one place to the right, then open the point
            System.arraycopy(buffer, start + 1, buffer, start, whole);
            buffer[start + whole] = '.';
            length = end;
        }
        comma = true;
        return true;
    }

    /** An int64, as {@code {"$integer": base64}} of its little-endian bytes. */
    public ConvexJsonWriter int64(long value) {
        return special("$integer", littleEndian(value));
    }

    public ConvexJsonWriter bool(boolean value) {
        return raw(value ? TRUE : FALSE);
    }

    public ConvexJsonWriter nul() {
        return raw(NULL);
    }

    public ConvexJsonWriter string(String s) {
        return string(s, 0, s.length());
    }

    /** The characters {@code from} to {@code to} of {@code s} as a string. */
    public ConvexJsonWriter string(String s, int from, int to) {
        separate();
        quoted(s, from, to);
        comma = true;
        return this;
    }

    /**
     * A field name already written by {@link #fieldNameBytes}: a document's column names are encoded once, not once
     * per row.
     */
    public ConvexJsonWriter fieldName(byte[] encoded) {
        separate();
        append(encoded);
        comma = false;
        return this;
    }

    /** A field name in its written form, quoted with its colon, for {@link #fieldName(byte[])}. */
    public static byte[] fieldNameBytes(String name) {
        ConvexJsonWriter out = new ConvexJsonWriter(name.length() + 8).fieldName(name);
        return out.toByteArray();
    }

    /**
     * A string given as UTF-8 bytes that need no escape and hold no character beyond the BMP (the caller checked):
     * copied as they are.
     */
    public ConvexJsonWriter utf8String(byte[] utf8, int from, int to) {
        separate();
        quotedBytes(utf8, from, to);
        comma = true;
        return this;
    }

    /** Bytes as a string of their lowercase hex digits (what {@code HexFormat.of().formatHex} gives). */
    public ConvexJsonWriter hexString(byte[] bytes) {
        separate();
        ensure(2 * bytes.length + 2);
        byte[] out = buffer;
        int at = length;
        out[at++] = '"';
        for (byte b : bytes) {
            out[at++] = LOWER_HEX[b >> 4 & 0xF];
            out[at++] = LOWER_HEX[b & 0xF];
        }
        out[at++] = '"';
        length = at;
        comma = true;
        return this;
    }

    /** A field name as {@link #utf8String} takes it; the caller has checked it for '$'. */
    public ConvexJsonWriter utf8FieldName(byte[] utf8, int from, int to) {
        separate();
        quotedBytes(utf8, from, to);
        put((byte) ':');
        comma = false;
        return this;
    }

    private void quotedBytes(byte[] utf8, int from, int to) {
        ensure(to - from + 2);
        buffer[length++] = '"';
        System.arraycopy(utf8, from, buffer, length, to - from);
        length += to - from;
        buffer[length++] = '"';
    }

    /** A field name; Convex reserves names starting with '$'. */
    public ConvexJsonWriter fieldName(String name) {
        if (name.startsWith("$")) {
            throw new IllegalArgumentException("field name '" + name + "' starts with '$', which Convex reserves");
        }
        separate();
        quoted(name, 0, name.length());
        put((byte) ':');
        comma = false;
        return this;
    }

    public ConvexJsonWriter startObject() {
        separate();
        put((byte) '{');
        comma = false;
        opened();
        return this;
    }

    public ConvexJsonWriter endObject() {
        put((byte) '}');
        comma = true;
        depth--;
        return this;
    }

    public ConvexJsonWriter startArray() {
        separate();
        put((byte) '[');
        comma = false;
        opened();
        return this;
    }

    public ConvexJsonWriter endArray() {
        put((byte) ']');
        comma = true;
        depth--;
        return this;
    }

    private void opened() {
        if (++depth > maxDepth) {
            maxDepth = depth;
        }
    }

    /** A value already encoded, as its UTF-8 bytes. */
    public ConvexJsonWriter raw(byte[] json) {
        opaque = true;
        separate();
        append(json);
        comma = true;
        return this;
    }

    private static final byte[] NULL = {'n', 'u', 'l', 'l'};
    private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};

    private void append(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, buffer, length, bytes.length);
        length += bytes.length;
    }

    private ConvexJsonWriter special(String tag, byte[] bytes) {
        separate();
        put((byte) '{'); // not startObject(): to Convex this is a value, which does not nest
        quoted(tag, 0, tag.length()); // a tag's '$' is what marks it
        put((byte) ':');
        byte[] encoded = Base64.getEncoder().encode(bytes);
        ensure(encoded.length + 2);
        buffer[length++] = '"';
        System.arraycopy(encoded, 0, buffer, length, encoded.length);
        length += encoded.length;
        buffer[length++] = '"';
        put((byte) '}');
        comma = true;
        return this;
    }

    private void separate() {
        if (comma) {
            put((byte) ',');
        }
    }

    /**
     * An integral double below 2^53 as {@link Double#toString} and the shortest-double writer put it ("12.0",
     * "1.7041536E12"): below 2^53 the exact digits are also the shortest that read back as the same double.
     */
    private void integral(long value) {
        ensure(24);
        if (value < 0) {
            buffer[length++] = '-';
            value = -value;
        }
        int start = length;
        int digits = digits(value);
        if (digits <= 7) {
            length = writeDigits(value, start + digits);
            buffer[length++] = '.';
            buffer[length++] = '0';
            return;
        }
        // d.ddddE(n): the first digit, a point, the rest without trailing zeros (at least one digit), the exponent.
        // The digits go one place to the right, then the first moves left of the point.
        int end = writeDigits(value, start + 1 + digits);
        buffer[start] = buffer[start + 1];
        buffer[start + 1] = '.';
        while (end > start + 3 && buffer[end - 1] == '0') {
            end--;
        }
        length = end;
        buffer[length++] = 'E';
        int exponent = digits - 1;
        if (exponent >= 10) {
            buffer[length++] = (byte) ('0' + exponent / 10);
        }
        buffer[length++] = (byte) ('0' + exponent % 10);
    }

    /** The digits of {@code value} (not negative), ending just before {@code end}, which is returned. */
    private int writeDigits(long value, int end) {
        byte[] out = buffer;
        int at = end;
        long v = value;
        for (; v >= 100; v /= 100) { // two digits a division: epoch milliseconds have thirteen
            int pair = (int) (v % 100);
            out[--at] = ONES[pair];
            out[--at] = TENS[pair];
        }
        if (v >= 10) {
            out[--at] = ONES[(int) v];
            out[--at] = TENS[(int) v];
        } else {
            out[--at] = (byte) ('0' + v);
        }
        return end;
    }

    /** The digits of 0 to 99: {@code TENS[n]} and {@code ONES[n]}. */
    private static final byte[] TENS = new byte[100];
    private static final byte[] ONES = new byte[100];

    static {
        for (int n = 0; n < 100; n++) {
            TENS[n] = (byte) ('0' + n / 10);
            ONES[n] = (byte) ('0' + n % 10);
        }
    }

    /** How many decimal digits {@code value} (not negative) has: from its bit length, corrected by one comparison. */
    private static int digits(long value) {
        if (value == 0) {
            return 1;
        }
        int log10 = (64 - Long.numberOfLeadingZeros(value)) * 1233 >>> 12; // 1233 / 4096 is about log10(2)
        return log10 + (value >= POWERS_OF_TEN[log10] ? 1 : 0);
    }

    private static final long[] POWERS_OF_TEN = new long[19];

    static {
        POWERS_OF_TEN[0] = 1;
        for (int i = 1; i < POWERS_OF_TEN.length; i++) {
            POWERS_OF_TEN[i] = POWERS_OF_TEN[i - 1] * 10;
        }
    }

    private void ascii(String text) {
        int n = text.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            buffer[length++] = (byte) text.charAt(i);
        }
    }

    /**
     * A JSON string as Jackson writes it: '"', '\\' and control characters escaped, a character beyond the BMP as its
     * escaped surrogate pair, everything else as UTF-8.
     */
    private void quoted(String s, int from, int n) {
        ensure(n - from + 2);
        buffer[length++] = '"';
        int i = from;
        // The common case, plain ASCII, a byte per char; anything else from where it starts.
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80 || c < 0x20 || c == '"' || c == '\\') {
                break;
            }
            buffer[length++] = (byte) c;
        }
        for (; i < n; i++) {
            char c = s.charAt(i);
            ensure(12);
            if (c < 0x80) {
                if (c >= 0x20 && c != '"' && c != '\\') {
                    buffer[length++] = (byte) c;
                } else {
                    escape(c);
                }
            } else if (c < 0x800) {
                buffer[length++] = (byte) (0xC0 | c >> 6);
                buffer[length++] = (byte) (0x80 | c & 0x3F);
            } else if (!Character.isSurrogate(c)) {
                buffer[length++] = (byte) (0xE0 | c >> 12);
                buffer[length++] = (byte) (0x80 | c >> 6 & 0x3F);
                buffer[length++] = (byte) (0x80 | c & 0x3F);
            } else {
                if (!Character.isHighSurrogate(c) || i + 1 >= n || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    throw new IllegalArgumentException("text holds an unpaired UTF-16 surrogate (U+"
                            + Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT) + "), which is not valid"
                            + " Unicode");
                }
                // As Jackson writes a character beyond the BMP: its surrogate pair as two escapes.
                unicodeEscape(c);
                unicodeEscape(s.charAt(++i));
            }
        }
        ensure(1);
        buffer[length++] = '"';
    }

    private void escape(char c) {
        buffer[length++] = '\\';
        switch (c) {
            case '"' -> buffer[length++] = '"';
            case '\\' -> buffer[length++] = '\\';
            case '\b' -> buffer[length++] = 'b';
            case '\t' -> buffer[length++] = 't';
            case '\f' -> buffer[length++] = 'f';
            case '\n' -> buffer[length++] = 'n';
            case '\r' -> buffer[length++] = 'r';
            default -> {
                length--;
                unicodeEscape(c);
            }
        }
    }

    private void unicodeEscape(char c) {
        buffer[length++] = '\\';
        buffer[length++] = 'u';
        buffer[length++] = HEX[c >> 12];
        buffer[length++] = HEX[c >> 8 & 0xF];
        buffer[length++] = HEX[c >> 4 & 0xF];
        buffer[length++] = HEX[c & 0xF];
    }

    private void put(byte b) {
        ensure(1);
        buffer[length++] = b;
    }

    private void ensure(int more) {
        if (length + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + more));
        }
    }

    static byte[] littleEndian(long bits) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (bits >>> 8 * i);
        }
        return b;
    }
}
