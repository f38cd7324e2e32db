package dev.cryoprotect.migrate.convex;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.testing.TestConvex;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The convex_encoded_json forms, byte for byte as convex/src/values/value.ts writes them. */
@Tag("fast")
class ConvexValuesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The tree encoder's text, checked against the streaming encoder the sync uses: both write the same bytes. */
    private static String encoded(Object value) {
        String tree = ConvexValues.encode(value).toString();
        assertEquals(tree, new String(ConvexValues.encodeToBytes(value), StandardCharsets.UTF_8));
        return tree;
    }

    @Test
    void int64IsLittleEndianTwosComplement() {
        assertEquals("{\"$integer\":\"AQAAAAAAAAA=\"}", encoded(1L));
        assertEquals("{\"$integer\":\"//////////8=\"}", encoded(-1L));
        assertEquals("{\"$integer\":\"AAAAAAAAAIA=\"}", encoded(Long.MIN_VALUE));
        assertEquals(Long.MAX_VALUE, ConvexValues.decode(ConvexValues.encode(Long.MAX_VALUE)));
    }

    @Test
    void specialFloatsAreEncodedAndOrdinaryOnesAreNumbers() {
        assertEquals("{\"$float\":\"AAAAAAAA+H8=\"}", encoded(Double.NaN));
        assertEquals("{\"$float\":\"AAAAAAAA8H8=\"}", encoded(Double.POSITIVE_INFINITY));
        assertEquals("{\"$float\":\"AAAAAAAA8P8=\"}", encoded(Double.NEGATIVE_INFINITY));
        assertEquals("{\"$float\":\"AAAAAAAAAIA=\"}", encoded(-0.0));
        assertEquals("1.5", encoded(1.5));
        assertEquals("3.0", encoded(3), "a Java int is a Convex float64, as in JavaScript");
        assertTrue(Double.isNaN((Double) ConvexValues.decode(ConvexValues.encode(Double.NaN))));
    }

    @Test
    void bytesStringsListsAndObjects() throws Exception {
        assertEquals("{\"$bytes\":\"AAH/\"}", encoded(new byte[]{0, 1, (byte) 0xff}));
        assertArrayEquals(new byte[]{0, 1, (byte) 0xff}, (byte[]) ConvexValues.decode(JSON.readTree("{\"$bytes\":\"AAH/\"}")));
        Map<String, Object> doc = Map.of("a", List.of("x", true), "b", Map.of("c", 2L));
        assertEquals(doc, ConvexValues.decode(ConvexValues.encode(doc)));
        Map<String, Object> nested = new java.util.LinkedHashMap<>();
        nested.put("text", "héllo \"✓\" \\ 日本\n\u0001");
        nested.put("none", null);
        nested.put("list", java.util.Arrays.asList(1.0, -0.0, null, List.of(), Map.of()));
        nested.put("n", 123456789.125);
        assertEquals("{\"text\":\"héllo \\\"✓\\\" \\\\ 日本\\n\\u0001\",\"none\":null,\"list\":[1.0,"
                + "{\"$float\":\"AAAAAAAAAIA=\"},null,[],{}],\"n\":1.23456789125E8}", encoded(nested));
        assertEquals("{\"doc\":{\"a\":1}}", encoded(Map.of("doc",
                new ConvexValues.Encoded("{\"a\":1}".getBytes(StandardCharsets.UTF_8)))), "encoded once, sent as is");
    }

    /** Whole numbers take a quick path; it writes exactly what Double.toString writes, for any of them. */
    @Test
    void wholeNumbersAreWrittenAsDoubleToStringWritesThem() {
        java.util.Random random = new java.util.Random(7);
        List<Long> values = new java.util.ArrayList<>(List.of(0L, 1L, -1L, 9_999_999L, 10_000_000L, -10_000_000L,
                1_704_153_600_000L, 9_007_199_254_740_991L, -9_007_199_254_740_991L, 100L, 120_000_000L));
        for (long power = 1; power <= 1_000_000_000_000_000L; power *= 10) { // where the digit count changes
            values.addAll(List.of(power, power - 1, power + 1, -power, 9 * power, 2 * power - 1));
        }
        for (int i = 0; i < 100_000; i++) {
            long bound = 1L << random.nextInt(54);
            values.add(random.nextLong(bound) * (random.nextBoolean() ? 1 : -1));
        }
        for (long value : values) {
            if (Math.abs(value) < (1L << 53)) {
                assertEquals(Double.toString((double) value), encoded((double) value), "for " + value);
            }
        }
    }

    /**
     * The byte writer against Jackson's generator writing the same value's tree, on random values: every escape,
     * UTF-8 of every plane, doubles from random bits (subnormals, integral, huge), nesting. Equal bytes keep the
     * hashes of documents synced by earlier versions valid.
     */
    @Test
    void theByteWriterWritesWhatJacksonsGeneratorWrites() throws Exception {
        java.util.Random random = new java.util.Random(11);
        for (int i = 0; i < 20_000; i++) {
            Object value = randomValue(random, 0);
            java.io.ByteArrayOutputStream jackson = new java.io.ByteArrayOutputStream();
            try (com.fasterxml.jackson.core.JsonGenerator g = ConvexValues.STREAMING.createGenerator(jackson)) {
                g.writeTree(ConvexValues.encode(value));
            }
            assertArrayEquals(jackson.toByteArray(), ConvexValues.encodeToBytes(value), () -> "for " + value);
        }
    }

    /** A batch is sized by the bytes each key takes as a string: exactly what the writer writes for it. */
    @Test
    void aStringsLengthIsWhatItsWritingTakes() {
        java.util.Random random = new java.util.Random(13);
        for (int i = 0; i < 20_000; i++) {
            String text = randomText(random);
            assertEquals(new ConvexJsonWriter().string(text).length(), ConvexJsonWriter.stringLength(text), text);
        }
        for (String text : List.of("", "[\"1\"]", "\u0000\u001f\b\t\n\f\r\\", "\u07ff\u0800\uffff", "\uD83D\uDE00")) {
            assertEquals(new ConvexJsonWriter().string(text).length(), ConvexJsonWriter.stringLength(text), text);
        }
    }

    /** The sync writes each document's hash straight from the digest: the same text the hashes stored so far have. */
    @Test
    void aDigestIsWrittenAsTheHexTextOfItsChecksum() {
        java.util.Random random = new java.util.Random(3);
        for (int i = 0; i < 1_000; i++) {
            byte[] document = new byte[random.nextInt(600)];
            random.nextBytes(document);
            String written = new String(new ConvexJsonWriter().hexString(
                    dev.cryoprotect.migrate.model.Checksums.sha256Digest(document)).toByteArray(), StandardCharsets.UTF_8);
            assertEquals("\"" + dev.cryoprotect.migrate.model.Checksums.sha256(document) + "\"", written);
        }
        assertEquals("\"00ff7f80\"", new String(new ConvexJsonWriter().hexString(new byte[]{0, -1, 127, -128})
                .toByteArray(), StandardCharsets.UTF_8));
    }

    /**
     * A numeric written from its digits must be the bytes of the double nearest it written by Jackson's shortest-digits
     * writer (the oracle, as for every number so far), or not written at all. Random decimals of 1 to 18 digits at
     * scales -3 to 20, both signs, plus the edges of the plain range; inside the array, after a first element.
     */
    @Test
    void aNumericWrittenFromItsDigitsIsTheNearestDoubleWrittenByJackson() {
        java.util.Random random = new java.util.Random(17);
        int written = 0;
        List<java.math.BigDecimal> values = new java.util.ArrayList<>();
        for (String edge : List.of("0.001", "0.0010", "-0.001", "0.000999", "9999999.99", "9999999.999999", "10000000.5",
                "1.5", "0.5", "0.05", "123.45", "100.10", "0.00", "5.00", "-42.000", "999999999999999.9", "0.1234567890123456",
                "1234567.89012345", "1e-3", "12345678901234.5")) {
            values.add(new java.math.BigDecimal(edge));
        }
        for (int i = 0; i < 200_000; i++) {
            int digits = 1 + random.nextInt(18);
            long unscaled = (long) (random.nextDouble() * Math.pow(10, digits));
            values.add(java.math.BigDecimal.valueOf(random.nextBoolean() ? unscaled : -unscaled, random.nextInt(24) - 3));
        }
        for (java.math.BigDecimal value : values) {
            ConvexJsonWriter direct = new ConvexJsonWriter().startArray().number(1.5);
            if (!direct.plainDecimal(value)) {
                assertEquals(new ConvexJsonWriter().startArray().number(1.5).length(), direct.length(), "wrote nothing");
                continue;
            }
            written++;
            String expected = new String(new ConvexJsonWriter().startArray().number(1.5).number(value.doubleValue())
                    .toByteArray(), StandardCharsets.UTF_8);
            assertEquals(expected, new String(direct.toByteArray(), StandardCharsets.UTF_8), value.toPlainString());
            assertEquals(com.fasterxml.jackson.core.io.NumberOutput.toString(value.doubleValue(), true),
                    expected.substring(expected.indexOf(',') + 1), value.toPlainString());
        }
        assertTrue(written > 50_000, "most random decimals are in the plain range: " + written);
    }

    @Test
    void anUnpairedSurrogateIsRefusedNotWrittenAsBrokenUtf8() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConvexValues.encodeToBytes(Map.of("s", "a\uD800b")));
        assertTrue(e.getMessage().contains("unpaired UTF-16 surrogate (U+D800)"), e.getMessage());
        assertEquals("\"\\uD83D\\uDE00\"", new String(ConvexValues.encodeToBytes("\uD83D\uDE00"),
                StandardCharsets.UTF_8), "a pair is written as its two escapes, as Jackson writes it");
    }

    private static Object randomValue(java.util.Random random, int depth) {
        switch (random.nextInt(depth < 3 ? 9 : 7)) {
            case 0: return null;
            case 1: return random.nextBoolean();
            case 2: return random.nextLong() >> random.nextInt(64);
            case 3: {
                double d = switch (random.nextInt(4)) {
                    case 0 -> Double.longBitsToDouble(random.nextLong());
                    case 1 -> (double) (random.nextLong() >> random.nextInt(64));
                    case 2 -> random.nextInt(100_000) / 100.0;
                    default -> random.nextGaussian() * Math.pow(10, random.nextInt(40) - 20);
                };
                return d;
            }
            case 4: {
                byte[] bytes = new byte[random.nextInt(20)];
                random.nextBytes(bytes);
                return bytes;
            }
            case 5:
            case 6:
                return randomText(random);
            case 7: {
                List<Object> list = new java.util.ArrayList<>();
                for (int n = random.nextInt(5); n > 0; n--) {
                    list.add(randomValue(random, depth + 1));
                }
                return list;
            }
            default: {
                Map<String, Object> map = new java.util.LinkedHashMap<>();
                for (int n = random.nextInt(5); n > 0; n--) {
                    map.put(randomText(random).replace("$", "_"), randomValue(random, depth + 1));
                }
                return map;
            }
        }
    }

    private static String randomText(java.util.Random random) {
        StringBuilder text = new StringBuilder();
        for (int n = random.nextInt(12); n > 0; n--) {
            switch (random.nextInt(6)) {
                case 0 -> text.append((char) random.nextInt(0x20)); // control characters
                case 1 -> text.append("\"\\/\u007f".charAt(random.nextInt(4)));
                case 2 -> text.append((char) (0x80 + random.nextInt(0x780))); // two UTF-8 bytes
                case 3 -> text.append((char) (0x800 + random.nextInt(0xD000))); // three, below the surrogates
                case 4 -> text.appendCodePoint(0x10000 + random.nextInt(0x100000)); // four: a surrogate pair
                default -> text.append((char) (0x20 + random.nextInt(0x5f)));
            }
        }
        return text.toString();
    }

    @Test
    void reservedFieldNamesAndUnknownEncodingsAreRefused() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> ConvexValues.encode(Map.of("$x", 1)));
        assertThrows(IllegalArgumentException.class, () -> ConvexValues.encodeToBytes(Map.of("a", Map.of("$x", 1))));
        assertThrows(IllegalArgumentException.class, () -> ConvexValues.decode(JSON.readTree("{\"$set\": \"x\"}")));
    }

    @Test
    void theFunctionEndpointCallsByPathWithAnArgsObject() {
        TestConvex.reset();
        Object result = TestConvex.client().function("migrations/runner:listApplied", Map.of());
        assertEquals(Map.of("applied", List.of(), "batchesInProgress", List.of()), result);
        ConvexException.FunctionError e = assertThrows(ConvexException.FunctionError.class,
                () -> TestConvex.client().mutation("migrations/runner:renewLock", Map.of("owner", 1.0, "leaseMs", 5.0)));
        assertTrue(e.getMessage().contains("ArgumentValidationError") || e.getMessage().contains("Validator error"),
                e.getMessage());
    }
}
