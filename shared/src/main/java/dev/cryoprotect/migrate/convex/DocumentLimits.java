package dev.cryoprotect.migrate.convex;

/**
 * Convex's limits on one stored document, measured the way Convex measures them (its backend's
 * {@code crates/value/src/size.rs} and {@code crates/common/src/document.rs}), so that a document Convex would refuse
 * is refused here first: in a dry run, and against the local backend, which does not check. The encoded JSON length
 * is not that measure: a number costs 9 bytes whatever its digits, {@code $bytes} counts its decoded bytes, not its
 * base64, and an escape counts the character it stands for.
 * <ul>
 *   <li>size at most 1 MiB, counting the {@code _id} and {@code _creationTime} Convex adds: null and booleans 1 byte,
 *       numbers and int64 9, strings and bytes 2 + their UTF-8 length, arrays 2 + their elements, objects 2 + for each
 *       field its name's length + 1 + its value;</li>
 *   <li>nesting at most 16: a document of plain fields is 1, an array or object in it 2.</li>
 * </ul>
 */
public final class DocumentLimits {
    public static final int MAX_SIZE = 1 << 20;
    public static final int MAX_NESTING = 16;
    /** {@code _id} (its name, and an id of up to 32 characters) and {@code _creationTime} (a number). */
    static final int SYSTEM_FIELDS = (3 + 1 + 2 + 32) + (13 + 1 + 9);
    /**
     * Below this many encoded bytes a document cannot reach {@link #MAX_SIZE}: no encoded byte costs more than 4.5 of
     * Convex's ({@code [1,1]}: 2 bytes an element for 9), so the exact measure is taken only above it.
     */
    private static final int SURELY_SMALL = (int) ((MAX_SIZE - SYSTEM_FIELDS - 16) / 4.5);

    private DocumentLimits() {
    }

    /**
     * Why Convex would refuse to store this document, or null when it would not.
     *
     * @param json    the document as {@code convex_encoded_json} (or plain JSON), in its first {@code length} bytes
     * @param nesting how deeply it nests, when its writer counted it ({@link ConvexJsonWriter#nesting()}); -1 to count
     */
    public static String problem(byte[] json, int length, int nesting) {
        int depth = nesting >= 0 ? nesting : nesting(json, length);
        if (depth > MAX_NESTING) {
            return "the document nests " + depth + " levels deep; Convex stores at most " + MAX_NESTING
                    + " (the document itself is 1, each object or array in it one more)";
        }
        if (length <= SURELY_SMALL) {
            return null;
        }
        long size = size(json, length);
        if (size > MAX_SIZE) {
            return "the document is " + size / 1024 + " KiB as Convex measures it; Convex stores at most 1 MiB per"
                    + " document";
        }
        return null;
    }

    /** How deeply the objects and arrays of a JSON text nest, the {@code $}-tagged value wrappers not counted. */
    static int nesting(byte[] json, int length) {
        int depth = 0;
        int max = 0;
        for (int at = 0; at < length; at++) {
            byte c = json[at];
            if (c == '"') {
                at = stringEnd(json, at);
            } else if (c == '{' && !tagged(json, at, length) || c == '[') {
                max = Math.max(max, ++depth);
            } else if (c == '{') {
                at = closing(json, at); // a wrapper: skipped whole
            } else if (c == '}' || c == ']') {
                depth--;
            }
        }
        return max;
    }

    /** Convex's size of the JSON document, with the system fields Convex adds to it. */
    static long size(byte[] json, int length) {
        Scanner scanner = new Scanner(json, length);
        return scanner.value() + SYSTEM_FIELDS;
    }

    /** Reads one value at a time and returns its size; recursion is bounded by the nesting checked before. */
    private static final class Scanner {
        private final byte[] json;
        private final int length;
        private int at;

        Scanner(byte[] json, int length) {
            this.json = json;
            this.length = length;
        }

        long value() {
            skipSpace();
            byte c = json[at];
            switch (c) {
                case '"':
                    return 2 + string();
                case '[': {
                    at++;
                    long size = 2;
                    while (next() != ']') {
                        size += value();
                    }
                    at++;
                    return size;
                }
                case '{': {
                    if (tagged(json, at, length)) {
                        return wrapper();
                    }
                    at++;
                    long size = 2;
                    while (next() != '}') {
                        size += string() + 1; // the field's name and the separator Convex stores after it
                        skipSpace();
                        at++; // ':'
                        size += value();
                    }
                    at++;
                    return size;
                }
                case 't', 'n':
                    at += 4;
                    return 1;
                case 'f':
                    at += 5;
                    return 1;
                default: // a number
                    while (at < length && "+-.0123456789eE".indexOf(json[at]) >= 0) {
                        at++;
                    }
                    return 9;
            }
        }

        /** Skips space and a comma; returns the next byte. */
        private byte next() {
            skipSpace();
            if (json[at] == ',') {
                at++;
                skipSpace();
            }
            return json[at];
        }

        private void skipSpace() {
            while (at < length && (json[at] == ' ' || json[at] == '\n' || json[at] == '\r' || json[at] == '\t')) {
                at++;
            }
        }

        /** {@code {"$integer": ...}}, {@code {"$float": ...}}: 9 bytes; {@code {"$bytes": base64}}: 2 + the bytes. */
        private long wrapper() {
            int end = closing(json, at);
            int tag = indexOf('"', at) + 1;
            boolean bytes = json[tag + 1] == 'b';
            long size = 9;
            if (bytes) {
                int open = indexOf('"', stringEnd(json, tag - 1) + 1);
                int close = stringEnd(json, open);
                int base64 = close - open - 1;
                int padding = base64 > 0 && json[close - 1] == '=' ? base64 > 1 && json[close - 2] == '=' ? 2 : 1 : 0;
                size = 2 + base64 / 4 * 3 - padding;
            }
            at = end + 1;
            return size;
        }

        private int indexOf(char c, int from) {
            int i = from;
            while (json[i] != c) {
                i++;
            }
            return i;
        }

        /** The UTF-8 length of the string at {@code at}, its escapes decoded; moves past it. */
        private long string() {
            int end = stringEnd(json, at);
            long bytes = 0;
            for (int i = at + 1; i < end; i++) {
                if (json[i] != '\\') {
                    bytes++; // the text is UTF-8 already
                } else if (json[i + 1] != 'u') {
                    bytes++;
                    i++;
                } else {
                    int unit = Integer.parseInt(new String(json, i + 2, 4, java.nio.charset.StandardCharsets.US_ASCII),
                            16);
                    i += 5;
                    if (Character.isHighSurrogate((char) unit) && i + 6 < end && json[i + 1] == '\\'
                            && json[i + 2] == 'u') {
                        bytes += 4; // a pair, one character of four bytes
                        i += 6;
                    } else {
                        bytes += unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
                    }
                }
            }
            at = end + 1;
            return bytes;
        }
    }

    /** Whether the object at {@code at} is a {@code $}-tagged value wrapper (no user field starts with '$'). */
    private static boolean tagged(byte[] json, int at, int length) {
        int i = at + 1;
        while (i < length && json[i] == ' ') {
            i++;
        }
        return i + 1 < length && json[i] == '"' && json[i + 1] == '$';
    }

    /** The index of the quote that closes the string opened at {@code open}. */
    private static int stringEnd(byte[] json, int open) {
        int i = open + 1;
        while (json[i] != '"') {
            i += json[i] == '\\' ? 2 : 1;
        }
        return i;
    }

    /** The index of the '}' that closes a wrapper opened at {@code open} (it holds one string, no containers). */
    private static int closing(byte[] json, int open) {
        int i = open + 1;
        while (json[i] != '}') {
            i = json[i] == '"' ? stringEnd(json, i) + 1 : i + 1;
        }
        return i;
    }
}
