package dev.cryoprotect.migrate.sync;

import dev.cryoprotect.migrate.convex.ConvexJsonWriter;
import dev.cryoprotect.migrate.convex.ConvexValues;
import dev.cryoprotect.migrate.model.ConvexDocuments;
import dev.cryoprotect.migrate.model.TableSchema;

import java.nio.charset.StandardCharsets;

/**
 * A jsonb value straight from PostgreSQL's UTF-8 text to Convex's encoded JSON in one pass over its bytes, with the
 * checks {@link ConvexDocuments#json} makes on a tree (field names Convex forbids, integers beyond 2^53) and Convex's size
 * limits (8,192 array values, 1,024 fields). The bytes are those the tree path writes, so hashes of documents synced
 * before stay valid. Only jsonb: its text has no duplicate keys, which a tree collapses. Hand-written rather than a
 * parser and a generator per value because every jsonb value of every row passes here; it accepts any JSON text
 * (RFC 8259), not only PostgreSQL's normalised form. A string without escapes is copied as its bytes; one with escapes,
 * or with a character beyond the BMP (which Jackson writes as an escaped surrogate pair), is decoded and written again.
 */
final class JsonColumn {
    private static final long MAX_EXACT = ConvexDocuments.MAX_EXACT;
    static final int MAX_ARRAY = 8192;
    static final int MAX_FIELDS = 1024;
    /** Deeper than this is refused, as Jackson's parser refuses it on the tree path. */
    private static final int MAX_DEPTH = 1000;

    /** A jsonb value as its UTF-8 text, as the binary COPY reads it; written back as that text where a string is. */
    record Text(byte[] utf8) {
        @Override
        public String toString() {
            return new String(utf8, StandardCharsets.UTF_8);
        }
    }

    private final ConvexJsonWriter out;
    /** The value being written, and the column it is from (for messages). */
    private byte[] text;
    private String column;
    private int at;
    /**
     * The open containers, innermost last (a loop, not recursion: how deep a value nests is the data's choice): each
     * one's kind, its values so far, and for an object its current field name (kept for messages).
     */
    private boolean[] objects = new boolean[8];
    private int[] counts = new int[8];
    private String[] names = new String[8];
    /** Where each open object's current field name is in the text, when it was copied without decoding. */
    private int[] nameStarts = new int[8];
    private int[] nameEnds = new int[8];
    private int depth;

    /** A transcoder that writes into {@code out}; reused value after value by one thread. */
    JsonColumn(ConvexJsonWriter out) {
        this.out = out;
    }

    static ConvexValues.Encoded encode(String text, String column) throws RowConverter.Rejected {
        return encode(text.getBytes(StandardCharsets.UTF_8), column);
    }

    static ConvexValues.Encoded encode(byte[] text, String column) throws RowConverter.Rejected {
        ConvexJsonWriter out = new ConvexJsonWriter(text.length + 16);
        new JsonColumn(out).write(text, column);
        return new ConvexValues.Encoded(out.toByteArray());
    }

    /**
     * Writes the jsonb {@code text} of {@code column} as one value into this transcoder's writer. On a rejection part
     * of it may have been written: the caller drops what it was writing.
     */
    void write(byte[] text, String column) throws RowConverter.Rejected {
        this.text = text;
        this.column = column;
        at = 0;
        depth = 0;
        try {
            transcode();
            if (skipSpace() != text.length) {
                throw invalid();
            }
        } catch (IndexOutOfBoundsException | NumberFormatException e) {
            throw invalid(); // the text ended early, or a malformed number
        } catch (IllegalArgumentException e) {
            throw reject(e.getMessage()); // an escaped unpaired surrogate, which is not Unicode text
        }
    }

    /** The value at {@code at}, containers and all. */
    private void transcode() throws RowConverter.Rejected {
        while (true) {
            if (!scalarOrOpen()) {
                continue; // a container opened with a value in it: read that value
            }
            // After a value: close what ends here, until a ',' brings the next value of an open container.
            while (true) {
                if (depth == 0) {
                    return;
                }
                char c = charAt(skipSpace());
                at++;
                if (c == ',') {
                    next();
                    break;
                }
                if (c != (objects[depth - 1] ? '}' : ']')) {
                    throw invalid();
                }
                if (objects[--depth]) {
                    out.endObject();
                } else {
                    out.endArray();
                }
            }
        }
    }

    /**
     * Writes a scalar, or opens a container: true when a whole value was written (a scalar, or an empty container),
     * false when a container opened and its first value is next.
     */
    private boolean scalarOrOpen() throws RowConverter.Rejected {
        char c = charAt(skipSpace());
        if (c == '{' || c == '[') {
            if (depth == MAX_DEPTH) {
                throw reject("nested more than " + MAX_DEPTH + " levels deep");
            }
            boolean object = c == '{';
            at++;
            if (charAt(skipSpace()) == (object ? '}' : ']')) {
                at++;
                if (object) {
                    out.startObject().endObject();
                } else {
                    out.startArray().endArray();
                }
                return true;
            }
            open(object);
            next();
            return false;
        }
        if (c == '"') {
            int end = stringEnd();
            if (end > 0) {
                out.utf8String(text, at + 1, end);
                at = end + 1;
            } else {
                out.string(unescape());
            }
        } else if (c == '-' || c >= '0' && c <= '9') {
            number();
        } else if (startsWith(TRUE)) {
            out.bool(true);
            at += 4;
        } else if (startsWith(FALSE)) {
            out.bool(false);
            at += 5;
        } else if (startsWith(NULL)) {
            out.nul();
            at += 4;
        } else {
            throw invalid();
        }
        return true;
    }

    private void open(boolean object) {
        if (depth == objects.length) {
            objects = java.util.Arrays.copyOf(objects, depth * 2);
            counts = java.util.Arrays.copyOf(counts, depth * 2);
            names = java.util.Arrays.copyOf(names, depth * 2);
            nameStarts = java.util.Arrays.copyOf(nameStarts, depth * 2);
            nameEnds = java.util.Arrays.copyOf(nameEnds, depth * 2);
        }
        objects[depth] = object;
        counts[depth] = 0;
        depth++;
        if (object) {
            out.startObject();
        } else {
            out.startArray();
        }
    }

    /** The next value of the innermost container: in an object, its field name first. Counts it against the limits. */
    private void next() throws RowConverter.Rejected {
        int level = depth - 1;
        int count = ++counts[level];
        if (!objects[level]) {
            if (count > MAX_ARRAY) {
                throw reject("an array of more than " + MAX_ARRAY + " values at '" + path() + "'; Convex stores at"
                        + " most " + MAX_ARRAY);
            }
            return;
        }
        if (charAt(skipSpace()) != '"') {
            throw invalid();
        }
        int end = stringEnd();
        String decoded = null;
        if (end > 0) {
            nameStarts[level] = at + 1;
            nameEnds[level] = end;
            names[level] = null;
            at = end + 1;
        } else {
            decoded = unescape();
            names[level] = decoded;
        }
        if (count > MAX_FIELDS) {
            throw reject("an object of more than " + MAX_FIELDS + " fields at '" + path() + "'; Convex stores at"
                    + " most " + MAX_FIELDS);
        }
        // Most names are short printable ASCII without escapes: those pass on a look at their bytes alone.
        String problem = decoded == null && plainName(nameStarts[level], end) ? null
                : TableSchema.objectFieldProblem(name(level));
        if (problem != null) {
            throw reject("field '" + path() + "' " + problem);
        }
        if (charAt(skipSpace()) != ':') {
            throw invalid();
        }
        at++;
        if (decoded != null) {
            out.fieldName(decoded);
        } else {
            out.utf8FieldName(text, nameStarts[level], end);
        }
    }

    /** Whether the raw bytes from..to are a name Convex takes: 1 to 1024 printable ASCII, not starting with '$'. */
    private boolean plainName(int from, int to) {
        if (to == from || to - from > 1024 || text[from] == '$') {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (text[i] < 32 || text[i] == 127) { // a byte of a multi-byte character is negative
                return false;
            }
        }
        return true;
    }

    /** The current field name of an open object. */
    private String name(int level) {
        return names[level] != null ? names[level]
                : new String(text, nameStarts[level], nameEnds[level] - nameStarts[level], StandardCharsets.UTF_8);
    }

    /** Where the transcoder is, as in messages: {@code column.field[index]}. */
    private String path() {
        StringBuilder path = new StringBuilder(column);
        for (int level = 0; level < depth; level++) {
            if (objects[level]) {
                String name = name(level);
                path.append('.').append(name.length() > 40 ? name.substring(0, 40) + "..." : name);
            } else {
                path.append('[').append(counts[level] - 1).append(']');
            }
        }
        return path.toString();
    }

    /**
     * A number as the tree path reads it: an integer (no fraction, no exponent) must be within 2^53 and is written
     * as that double; anything else is the nearest double.
     */
    private void number() throws RowConverter.Rejected {
        int start = at;
        if (text[at] == '-') {
            at++;
        }
        int digitsFrom = at;
        long value = 0;
        while (at < text.length && isDigit(text[at])) {
            value = value * 10 + (text[at] - '0'); // overflow past 18 digits is ignored below: 2^53 has 16
            at++;
        }
        int digits = at - digitsFrom;
        if (digits == 0 || digits > 1 && text[digitsFrom] == '0') {
            throw invalid(); // JSON has no leading zeros
        }
        boolean integer = true;
        if (at < text.length && text[at] == '.') {
            integer = false;
            at++;
            requireDigits();
        }
        if (at < text.length && (text[at] == 'e' || text[at] == 'E')) {
            integer = false;
            at++;
            if (text[at] == '+' || text[at] == '-') {
                at++;
            }
            requireDigits();
        }
        boolean large = digits > 16 || value > MAX_EXACT; // rare: checked as the tree path checks (10^20 is held)
        if (!integer || large) {
            String literal = new String(text, start, at - start, StandardCharsets.ISO_8859_1);
            java.math.BigInteger whole = integer ? new java.math.BigInteger(literal) : null;
            double number = whole != null ? whole.doubleValue() : Double.parseDouble(literal);
            String problem = ConvexDocuments.numberProblem(literal, whole, number);
            if (problem != null) {
                throw reject("field '" + path() + "': " + problem);
            }
            out.number(number);
            return;
        }
        out.number((double) (start == digitsFrom ? value : -value)); // "-0" is 0, as the tree reads it
    }

    private void requireDigits() throws RowConverter.Rejected {
        int from = at;
        while (at < text.length && isDigit(text[at])) {
            at++;
        }
        if (at == from) {
            throw invalid();
        }
    }

    private static boolean isDigit(byte c) {
        return c >= '0' && c <= '9';
    }

    /**
     * The closing quote of the string at {@code at} when its bytes can be copied as they are (the common case), else
     * -1: it has escapes, or a character beyond the BMP.
     */
    private int stringEnd() throws RowConverter.Rejected {
        for (int i = at + 1; ; i++) {
            int c = text[i] & 0xFF;
            if (c == '"') {
                return i;
            }
            if (c == '\\' || c >= 0xF0) {
                return -1;
            }
            if (c < 0x20) {
                throw invalid(); // JSON strings hold no raw control characters
            }
        }
    }

    /** The string at {@code at} with its escapes decoded; {@code at} moves past it. */
    private String unescape() throws RowConverter.Rejected {
        int end = at + 1;
        while (text[end] != '"') {
            end += text[end] == '\\' ? 2 : 1;
        }
        String raw = new String(text, at + 1, end - at - 1, StandardCharsets.UTF_8);
        at = end + 1;
        StringBuilder value = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c < 0x20) {
                throw invalid();
            }
            if (c != '\\') {
                value.append(c);
                continue;
            }
            char escaped = raw.charAt(++i);
            switch (escaped) {
                case '"', '\\', '/' -> value.append(escaped);
                case 'b' -> value.append('\b');
                case 'f' -> value.append('\f');
                case 'n' -> value.append('\n');
                case 'r' -> value.append('\r');
                case 't' -> value.append('\t');
                case 'u' -> {
                    int code = 0;
                    for (int k = i + 1; k <= i + 4; k++) {
                        int digit = Character.digit(raw.charAt(k), 16); // four hex digits, no sign
                        if (digit < 0) {
                            throw invalid();
                        }
                        code = code * 16 + digit;
                    }
                    value.append((char) code);
                    i += 4;
                }
                default -> throw invalid();
            }
        }
        return value.toString();
    }

    private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
    private static final byte[] NULL = {'n', 'u', 'l', 'l'};

    private boolean startsWith(byte[] literal) {
        return at + literal.length <= text.length
                && java.util.Arrays.equals(text, at, at + literal.length, literal, 0, literal.length);
    }

    /** The byte at {@code i} as a char: ASCII is all the structure of JSON. */
    private char charAt(int i) {
        return (char) (text[i] & 0xFF);
    }

    private int skipSpace() {
        while (at < text.length) {
            byte c = text[at];
            if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
                break;
            }
            at++;
        }
        return at;
    }

    private RowConverter.Rejected invalid() {
        return reject("not valid JSON");
    }

    private RowConverter.Rejected reject(String why) {
        return new RowConverter.Rejected("column " + column + ": " + why);
    }
}
