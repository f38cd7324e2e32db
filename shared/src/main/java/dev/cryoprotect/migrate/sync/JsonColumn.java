package dev.cryoprotect.migrate.sync;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import dev.cryoprotect.migrate.convex.ConvexValues;
import dev.cryoprotect.migrate.model.ConvexDocuments;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A jsonb value straight from PostgreSQL's text to Convex's encoded JSON in one streaming pass, with the checks
 * {@link dev.cryoprotect.migrate.model.ConvexDocuments#json} makes on a tree (field names Convex forbids, integers
 * beyond 2^53) and Convex's size limits (8,192 array values, 1,024 fields). The bytes are those the tree path writes,
 * so hashes of documents synced before stay valid. Only jsonb: its text has no duplicate keys, which a tree collapses.
 */
final class JsonColumn {
    private static final JsonFactory JSON = ConvexValues.STREAMING;
    private static final long MAX_EXACT = ConvexDocuments.MAX_EXACT;
    static final int MAX_ARRAY = 8192;
    static final int MAX_FIELDS = 1024;

    private JsonColumn() {
    }

    static ConvexValues.Encoded encode(String text, String column) throws RowConverter.Rejected {
        ByteArrayBuilder out = new ByteArrayBuilder(Math.max(64, text.length() + 16));
        Path path = new Path(column);
        try (JsonParser p = JSON.createParser(text); JsonGenerator g = JSON.createGenerator(out)) {
            JsonToken token;
            while ((token = p.nextToken()) != null) {
                switch (token) {
                    case START_OBJECT -> {
                        path.element();
                        path.enter(true);
                        g.writeStartObject();
                    }
                    case START_ARRAY -> {
                        path.element();
                        path.enter(false);
                        g.writeStartArray();
                    }
                    case END_OBJECT -> {
                        path.leave();
                        g.writeEndObject();
                    }
                    case END_ARRAY -> {
                        path.leave();
                        g.writeEndArray();
                    }
                    case FIELD_NAME -> {
                        String key = p.currentName();
                        path.field(key);
                        String problem = key.startsWith("$") ? "starts with '$', which Convex reserves"
                                : key.isEmpty() ? "is empty" : key.length() > 1024 ? "is longer than 1024 characters"
                                : null;
                        if (problem != null) {
                            throw new RowConverter.Rejected("column " + column + ": field '" + path + "' " + problem);
                        }
                        g.writeFieldName(key);
                    }
                    case VALUE_STRING -> {
                        path.element();
                        g.writeString(p.getText());
                    }
                    case VALUE_NUMBER_INT -> {
                        path.element();
                        long value = p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? Long.MAX_VALUE
                                : p.getLongValue();
                        if (value > MAX_EXACT || value < -MAX_EXACT) {
                            throw new RowConverter.Rejected("column " + column + ": field '" + path + "': "
                                    + p.getText() + " is not exactly representable as a Convex number (declare the"
                                    + " field int64)");
                        }
                        ConvexValues.write(g, p.getDoubleValue());
                    }
                    case VALUE_NUMBER_FLOAT -> {
                        path.element();
                        ConvexValues.write(g, p.getDoubleValue());
                    }
                    case VALUE_TRUE, VALUE_FALSE -> {
                        path.element();
                        g.writeBoolean(token == JsonToken.VALUE_TRUE);
                    }
                    case VALUE_NULL -> {
                        path.element();
                        g.writeNull();
                    }
                    default -> throw new RowConverter.Rejected("column " + column + ": unexpected JSON " + token);
                }
            }
        } catch (IOException e) {
            throw new RowConverter.Rejected("column " + column + ": not valid JSON");
        }
        return new ConvexValues.Encoded(out.toByteArray());
    }

    /** Where the parser is, kept cheaply and spelled out only for a message; counts values against the limits. */
    private static final class Path {
        private final String column;
        private final Deque<Object> segments = new ArrayDeque<>(); // a field name, or an int[] {index} in an array
        private final Deque<int[]> counts = new ArrayDeque<>();

        Path(String column) {
            this.column = column;
        }

        /** A value starts: in an array it takes the next index. */
        void element() throws RowConverter.Rejected {
            if (!counts.isEmpty() && segments.peekLast() instanceof int[] index) {
                index[0]++;
                if (++counts.peekLast()[0] > MAX_ARRAY) {
                    throw new RowConverter.Rejected("column " + column + ": an array of more than " + MAX_ARRAY
                            + " values at '" + this + "'; Convex stores at most " + MAX_ARRAY);
                }
            }
        }

        void enter(boolean object) {
            counts.addLast(new int[1]);
            segments.addLast(object ? "" : new int[]{-1});
        }

        void field(String name) throws RowConverter.Rejected {
            segments.removeLast();
            segments.addLast(name);
            if (++counts.peekLast()[0] > MAX_FIELDS) {
                throw new RowConverter.Rejected("column " + column + ": an object of more than " + MAX_FIELDS
                        + " fields at '" + this + "'; Convex stores at most " + MAX_FIELDS);
            }
        }

        void leave() {
            counts.removeLast();
            segments.removeLast();
        }

        @Override
        public String toString() {
            StringBuilder text = new StringBuilder(column);
            for (Object segment : segments) {
                if (segment instanceof int[] index) {
                    text.append('[').append(Math.max(0, index[0])).append(']');
                } else {
                    text.append('.').append(segment);
                }
            }
            return text.toString();
        }
    }
}
