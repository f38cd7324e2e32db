package dev.cryoprotect.migrate.convex;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

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
 * Convex values in Java and their {@code convex_encoded_json} form. The Java model: {@code null}, {@link Boolean},
 * {@link Double} (Convex float64, "number"), {@link Long} (Convex int64), {@code byte[]} (bytes), {@link String},
 * {@link List} and {@link Map} with String keys. Integers of other types are float64, as in JavaScript.
 * NaN, infinities and -0 travel as {@code {"$float": base64}}, int64 as {@code {"$integer": base64}}, little-endian.
 * A {@link JsonNode} is taken as already encoded and passed through, so a value encoded once (the sync hashes each
 * document's encoding) is not encoded again when it is sent.
 */
public final class ConvexValues {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Shortest round-trip doubles (Schubfach), the same text on every JDK, so a document's hash does not vary. */
    public static final JsonFactory STREAMING = JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();
    private static final long NEGATIVE_ZERO_BITS = Double.doubleToRawLongBits(-0.0);

    private ConvexValues() {
    }

    /**
     * A value already in its encoded JSON form, as UTF-8 bytes: the sync encodes each document once, hashes those
     * bytes and sends them as they are.
     */
    public record Encoded(byte[] json) implements com.fasterxml.jackson.core.SerializableString {
        @Override
        public String getValue() {
            return new String(json, java.nio.charset.StandardCharsets.UTF_8);
        }

        @Override
        public int charLength() {
            return getValue().length();
        }

        @Override
        public char[] asQuotedChars() {
            throw new UnsupportedOperationException("raw JSON is written as bytes");
        }

        @Override
        public byte[] asUnquotedUTF8() {
            return json;
        }

        @Override
        public byte[] asQuotedUTF8() {
            throw new UnsupportedOperationException("raw JSON is written as bytes");
        }

        @Override
        public int appendQuotedUTF8(byte[] buffer, int offset) {
            return -1;
        }

        @Override
        public int appendQuoted(char[] buffer, int offset) {
            return -1;
        }

        @Override
        public int appendUnquotedUTF8(byte[] buffer, int offset) {
            if (offset + json.length > buffer.length) {
                return -1; // the generator then writes asUnquotedUTF8()
            }
            System.arraycopy(json, 0, buffer, offset, json.length);
            return json.length;
        }

        @Override
        public int appendUnquoted(char[] buffer, int offset) {
            String text = getValue();
            if (offset + text.length() > buffer.length) {
                return -1;
            }
            text.getChars(0, text.length(), buffer, offset);
            return text.length();
        }

        @Override
        public int writeQuotedUTF8(java.io.OutputStream out) {
            throw new UnsupportedOperationException("raw JSON is written as bytes");
        }

        @Override
        public int writeUnquotedUTF8(java.io.OutputStream out) throws java.io.IOException {
            out.write(json);
            return json.length;
        }

        @Override
        public int putQuotedUTF8(java.nio.ByteBuffer buffer) {
            throw new UnsupportedOperationException("raw JSON is written as bytes");
        }

        @Override
        public int putUnquotedUTF8(java.nio.ByteBuffer buffer) {
            if (buffer.remaining() < json.length) {
                return -1;
            }
            buffer.put(json);
            return json.length;
        }
    }

    /**
     * The encoded JSON of a value as UTF-8 bytes, written in one pass without building a tree (the sync's hot path).
     * The same rules as {@link #encode(Object)}, and the same bytes as that tree written by {@link #STREAMING}.
     */
    public static byte[] encodeToBytes(Object value) {
        return new ConvexJsonWriter().value(value).toByteArray();
    }

    /** NaN, the infinities and -0, which JSON numbers cannot say: they travel as {@code {"$float": base64}}. */
    static boolean isSpecialFloat(double d) {
        return Double.isNaN(d) || Double.isInfinite(d) || Double.doubleToRawLongBits(d) == NEGATIVE_ZERO_BITS;
    }

    public static JsonNode encode(Object value) {
        if (value instanceof JsonNode encoded) {
            return encoded;
        }
        if (value instanceof Encoded encoded) {
            return NODES.rawValueNode(new com.fasterxml.jackson.databind.util.RawValue(encoded));
        }
        if (value == null) {
            return NODES.nullNode();
        }
        if (value instanceof Boolean b) {
            return NODES.booleanNode(b);
        }
        if (value instanceof String s) {
            return NODES.textNode(s);
        }
        if (value instanceof Long l) {
            return special("$integer", littleEndian(l));
        }
        if (value instanceof BigInteger big) {
            if (big.bitLength() > 63) {
                throw new IllegalArgumentException(big + " does not fit in a Convex int64");
            }
            return special("$integer", littleEndian(big.longValue()));
        }
        if (value instanceof Double || value instanceof Float || value instanceof Integer || value instanceof Short
                || value instanceof Byte) {
            double d = ((Number) value).doubleValue();
            if (isSpecialFloat(d)) {
                return special("$float", littleEndian(Double.doubleToRawLongBits(d)));
            }
            return NODES.numberNode(d);
        }
        if (value instanceof byte[] bytes) {
            return special("$bytes", bytes);
        }
        if (value instanceof List<?> list) {
            ArrayNode array = NODES.arrayNode();
            list.forEach(item -> array.add(encode(item)));
            return array;
        }
        if (value instanceof Map<?, ?> map) {
            ObjectNode object = NODES.objectNode();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                String key = String.valueOf(e.getKey());
                if (key.startsWith("$")) {
                    throw new IllegalArgumentException("field name '" + key + "' starts with '$', which Convex reserves");
                }
                object.set(key, encode(e.getValue()));
            }
            return object;
        }
        throw new IllegalArgumentException("not a Convex value: " + value.getClass().getName());
    }

    public static Object decode(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isTextual()) {
            return node.textValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        if (node.isArray()) {
            List<Object> list = new ArrayList<>(node.size());
            node.forEach(item -> list.add(decode(item)));
            return list;
        }
        if (node.size() == 1) {
            String key = node.fieldNames().next();
            JsonNode inner = node.get(key);
            switch (key) {
                case "$integer":
                    return ByteBuffer.wrap(base64(inner)).order(ByteOrder.LITTLE_ENDIAN).getLong();
                case "$float":
                    return Double.longBitsToDouble(ByteBuffer.wrap(base64(inner)).order(ByteOrder.LITTLE_ENDIAN).getLong());
                case "$bytes":
                    return base64(inner);
                default:
                    break;
            }
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().startsWith("$")) {
                throw new IllegalArgumentException("unknown encoded value '" + e.getKey() + "'");
            }
            map.put(e.getKey(), decode(e.getValue()));
        }
        return map;
    }

    private static ObjectNode special(String tag, byte[] bytes) {
        return NODES.objectNode().put(tag, Base64.getEncoder().encodeToString(bytes));
    }

    private static byte[] littleEndian(long bits) {
        return ConvexJsonWriter.littleEndian(bits);
    }

    private static byte[] base64(JsonNode node) {
        if (!node.isTextual()) {
            throw new IllegalArgumentException("encoded value must be a base64 string");
        }
        return Base64.getDecoder().decode(node.textValue());
    }
}
