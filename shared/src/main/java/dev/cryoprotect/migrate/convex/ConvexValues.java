package dev.cryoprotect.migrate.convex;

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
    private static final long NEGATIVE_ZERO_BITS = Double.doubleToRawLongBits(-0.0);

    private ConvexValues() {
    }

    public static JsonNode encode(Object value) {
        if (value instanceof JsonNode encoded) {
            return encoded;
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
            if (Double.isNaN(d) || Double.isInfinite(d) || Double.doubleToRawLongBits(d) == NEGATIVE_ZERO_BITS) {
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
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(bits).array();
    }

    private static byte[] base64(JsonNode node) {
        if (!node.isTextual()) {
            throw new IllegalArgumentException("encoded value must be a base64 string");
        }
        return Base64.getDecoder().decode(node.textValue());
    }
}
