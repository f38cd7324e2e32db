package dev.cryoprotect.migrate.sync;

import dev.cryoprotect.migrate.convex.ConvexJsonWriter;
import dev.cryoprotect.migrate.convex.ConvexValues;
import dev.cryoprotect.migrate.model.ConvexDocuments;

/**
 * A jsonb value straight from PostgreSQL's text to Convex's encoded JSON in one pass over the text, with the checks
 * {@link ConvexDocuments#json} makes on a tree (field names Convex forbids, integers beyond 2^53) and Convex's size
 * limits (8,192 array values, 1,024 fields). The bytes are those the tree path writes, so hashes of documents synced
 * before stay valid. Only jsonb: its text has no duplicate keys, which a tree collapses. Hand-written rather than a
 * parser and a generator per value because every jsonb value of every row passes here; it accepts any JSON text
 * (RFC 8259), not only PostgreSQL's normalised form.
 */
final class JsonColumn {
    private static final long MAX_EXACT = ConvexDocuments.MAX_EXACT;
    static final int MAX_ARRAY = 8192;
    static final int MAX_FIELDS = 1024;
    /** Deeper than this is refused, as Jackson's parser refuses it on the tree path. */
    private static final int MAX_DEPTH = 1000;

    private final String text;
    private final String column;
    private final ConvexJsonWriter out;
    private int at;
    /**
     * The open containers, innermost last (a loop, not recursion: how deep a value nests is the data's choice): each
     * one's kind, its values so far, and for an object its current field name (kept for messages).
     */
    private boolean[] objects = new boolean[8];
    private int[] counts = new int[8];
    private String[] names = new String[8];
    private int depth;

    private JsonColumn(String text, String column, ConvexJsonWriter out) {
        this.text = text;
        this.column = column;
        this.out = out;
    }

    static ConvexValues.Encoded encode(String text, String column) throws RowConverter.Rejected {
        ConvexJsonWriter out = new ConvexJsonWriter(text.length() + 16);
        JsonColumn json = new JsonColumn(text, column, out);
        try {
            json.transcode();
            if (json.skipSpace() != text.length()) {
                throw json.invalid();
            }
        } catch (IndexOutOfBoundsException | NumberFormatException e) {
            throw json.invalid(); // the text ended early, or a malformed number
        } catch (IllegalArgumentException e) {
            throw json.reject(e.getMessage()); // an escaped unpaired surrogate, which is not Unicode text
        }
        return new ConvexValues.Encoded(out.toByteArray());
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
                char c = text.charAt(skipSpace());
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
        char c = text.charAt(skipSpace());
        if (c == '{' || c == '[') {
            if (depth == MAX_DEPTH) {
                throw reject("nested more than " + MAX_DEPTH + " levels deep");
            }
            boolean object = c == '{';
            at++;
            if (text.charAt(skipSpace()) == (object ? '}' : ']')) {
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
                out.string(text, at + 1, end);
                at = end + 1;
            } else {
                out.string(unescape());
            }
        } else if (c == '-' || c >= '0' && c <= '9') {
            number();
        } else if (text.startsWith("true", at)) {
            out.bool(true);
            at += 4;
        } else if (text.startsWith("false", at)) {
            out.bool(false);
            at += 5;
        } else if (text.startsWith("null", at)) {
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
        if (text.charAt(skipSpace()) != '"') {
            throw invalid();
        }
        int end = stringEnd();
        if (end > 0) {
            names[level] = text.substring(at + 1, end);
            at = end + 1;
        } else {
            names[level] = unescape();
        }
        String name = names[level];
        if (count > MAX_FIELDS) {
            throw reject("an object of more than " + MAX_FIELDS + " fields at '" + path() + "'; Convex stores at"
                    + " most " + MAX_FIELDS);
        }
        String problem = name.startsWith("$") ? "starts with '$', which Convex reserves" : name.isEmpty()
                ? "is empty" : name.length() > 1024 ? "is longer than 1024 characters" : null;
        if (problem != null) {
            throw reject("field '" + path() + "' " + problem);
        }
        if (text.charAt(skipSpace()) != ':') {
            throw invalid();
        }
        at++;
        out.fieldName(name);
    }

    /** Where the transcoder is, as in messages: {@code column.field[index]}. */
    private String path() {
        StringBuilder path = new StringBuilder(column);
        for (int level = 0; level < depth; level++) {
            if (objects[level]) {
                String name = names[level];
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
        if (text.charAt(at) == '-') {
            at++;
        }
        int digitsFrom = at;
        while (at < text.length() && isDigit(text.charAt(at))) {
            at++;
        }
        int digits = at - digitsFrom;
        if (digits == 0 || digits > 1 && text.charAt(digitsFrom) == '0') {
            throw invalid(); // JSON has no leading zeros
        }
        boolean integer = true;
        if (at < text.length() && text.charAt(at) == '.') {
            integer = false;
            at++;
            requireDigits();
        }
        if (at < text.length() && (text.charAt(at) == 'e' || text.charAt(at) == 'E')) {
            integer = false;
            at++;
            if (text.charAt(at) == '+' || text.charAt(at) == '-') {
                at++;
            }
            requireDigits();
        }
        if (!integer) {
            out.number(Double.parseDouble(text.substring(start, at)));
            return;
        }
        // 2^53 has 16 digits: longer integers are beyond it whatever they are.
        long value = digits > 16 ? Long.MAX_VALUE : Long.parseLong(text, digitsFrom, at, 10);
        if (value > MAX_EXACT) {
            throw reject("field '" + path() + "': " + text.substring(start, at) + " is not exactly representable as a"
                    + " Convex number (declare the field int64)");
        }
        out.number((double) (start == digitsFrom ? value : -value)); // "-0" is 0, as the tree reads it
    }

    private void requireDigits() throws RowConverter.Rejected {
        int from = at;
        while (at < text.length() && isDigit(text.charAt(at))) {
            at++;
        }
        if (at == from) {
            throw invalid();
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    /** The closing quote of the string at {@code at} when it has no escapes (the common case), else -1. */
    private int stringEnd() throws RowConverter.Rejected {
        for (int i = at + 1; ; i++) {
            char c = text.charAt(i);
            if (c == '"') {
                return i;
            }
            if (c == '\\') {
                return -1;
            }
            if (c < 0x20) {
                throw invalid(); // JSON strings hold no raw control characters
            }
        }
    }

    /** The string at {@code at} with its escapes decoded; {@code at} moves past it. */
    private String unescape() throws RowConverter.Rejected {
        StringBuilder value = new StringBuilder();
        for (at++; ; at++) {
            char c = text.charAt(at);
            if (c == '"') {
                at++;
                return value.toString();
            }
            if (c < 0x20) {
                throw invalid();
            }
            if (c != '\\') {
                value.append(c);
                continue;
            }
            char escaped = text.charAt(++at);
            switch (escaped) {
                case '"', '\\', '/' -> value.append(escaped);
                case 'b' -> value.append('\b');
                case 'f' -> value.append('\f');
                case 'n' -> value.append('\n');
                case 'r' -> value.append('\r');
                case 't' -> value.append('\t');
                case 'u' -> {
                    value.append((char) Integer.parseInt(text, at + 1, at + 5, 16));
                    at += 4;
                }
                default -> throw invalid();
            }
        }
    }

    private int skipSpace() {
        while (at < text.length()) {
            char c = text.charAt(at);
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
