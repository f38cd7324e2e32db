package dev.cryoprotect.migrate.sync;

import dev.cryoprotect.migrate.convex.ConvexValues;
import dev.cryoprotect.migrate.model.TableSchema;
import dev.cryoprotect.migrate.testing.Fixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The documented type mapping (README, "Sync"), one value at a time, with and without a declared schema. */
@Tag("fast")
class RowConverterTest {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private static SourceTable.Column column(String name, String udt) {
        return new SourceTable.Column(name, udt, udt);
    }

    /** Converts one value of a column of type {@code udt} with the default mapping. */
    private static Object convert(String udt, Object value) throws RowConverter.Rejected {
        SourceTable table = new SourceTable("public", "t", List.of(column("v", udt)), List.of(), Optional.empty());
        Object converted = new RowConverter(table, Optional.empty()).document(new Object[]{value}).get("v");
        return converted instanceof ConvexValues.Encoded encoded ? decode(encoded) : converted;
    }

    private static Object decode(ConvexValues.Encoded encoded) {
        try {
            return ConvexValues.decode(JSON.readTree(encoded.json()));
        } catch (java.io.IOException e) {
            throw new AssertionError("not JSON: " + encoded.getValue(), e);
        }
    }

    private static TableSchema declared(String fields) {
        return Fixtures.set("001_t.json", "{\"version\": \"001\", \"schema\": {\"t\": " + fields + "}}")
                .declaredSchema().get("t");
    }

    @Test
    void numbersBecomeConvexNumbersWhenExact() throws Exception {
        assertEquals(7.0, convert("int4", 7));
        assertEquals(-3.0, convert("int2", -3));
        assertEquals(9007199254740992.0, convert("int8", 9007199254740992L));
        assertEquals(0.1, convert("numeric", new BigDecimal("0.1")));
        assertEquals(Double.NaN, convert("float8", Double.NaN));
        assertEquals(Double.NEGATIVE_INFINITY, convert("float4", Double.NEGATIVE_INFINITY));
    }

    @Test
    void numbersWithoutAnExactConvexNumberRejectTheRowSayingWhatToDeclare() {
        RowConverter.Rejected big = assertThrows(RowConverter.Rejected.class, () -> convert("int8", 9007199254740993L));
        assertTrue(big.getMessage().contains("column v: int8 value 9007199254740993") && big.getMessage()
                .contains("\"int64\""), big.getMessage());
        RowConverter.Rejected precise = assertThrows(RowConverter.Rejected.class,
                () -> convert("numeric", new BigDecimal("1.23456789012345678901")));
        assertTrue(precise.getMessage().contains("declare the field \"string\""), precise.getMessage());
    }

    @Test
    void timesBecomeEpochMillisecondsInUtc() throws Exception {
        assertEquals(1.0e12, convert("timestamptz", OffsetDateTime.of(2001, 9, 9, 3, 46, 40, 0, ZoneOffset.ofHours(2)).toInstant()));
        assertEquals(1.0e12, convert("timestamp", LocalDateTime.of(2001, 9, 9, 1, 46, 40)));
        // Before 1970 a part of a millisecond rounds down, as Instant.toEpochMilli does.
        assertEquals(-1.0, convert("timestamp", LocalDateTime.of(1969, 12, 31, 23, 59, 59, 999_500_000)));
        assertEquals(-1.0, convert("timestamptz", java.time.Instant.ofEpochSecond(-1, 999_500_000)));
        assertEquals(-62_135_596_800_000.0, convert("timestamp", LocalDateTime.of(1, 1, 1, 0, 0)));
        assertEquals(86_400_000.0, convert("date", LocalDate.of(1970, 1, 2)));
        assertEquals(-86_400_000.0, convert("date", LocalDate.of(1969, 12, 31)));
    }

    @Test
    void jsonBecomesObjectsAndArraysButKeysConvexForbidsRejectTheRow() throws Exception {
        assertEquals(Map.of("a", List.of(1.0, "x")), convert("jsonb", "{\"a\": [1, \"x\"]}"));
        assertEquals(java.util.Arrays.asList(true, null), convert("json", "[true, null]"));
        assertThrows(RowConverter.Rejected.class, () -> convert("jsonb", "{\"$id\": 1}"));
        assertThrows(RowConverter.Rejected.class, () -> convert("jsonb", "{\"\": 1}"));
        assertEquals(Map.of("_note", 1.0), convert("jsonb", "{\"_note\": 1}"), "only top-level fields may not start with _");
        RowConverter.Rejected nested = assertThrows(RowConverter.Rejected.class,
                () -> convert("jsonb", "{\"a\": [1, {\"ok\": 2}, {\"$ref\": 3}]}"));
        assertEquals("column v: field 'v.a[2].$ref' starts with '$', which Convex reserves", nested.getMessage());
        RowConverter.Rejected big = assertThrows(RowConverter.Rejected.class, () -> convert("jsonb", "[9007199254740993]"));
        assertTrue(big.getMessage().contains("v[0]': 9007199254740993 is not exactly representable"), big.getMessage());
        assertTrue(assertThrows(RowConverter.Rejected.class, () -> convert("jsonb", "{\"a\": [" + "0,".repeat(8192)
                + "0]}")).getMessage().contains("more than 8192 values at 'v.a[8192]'"));
        assertEquals(List.of(9007199254740992.0, -9007199254740992.0), convert("jsonb",
                "[9007199254740992, -9007199254740992]"));
        // jsonb prints '1e20'::jsonb as 100000000000000000000: past 2^53, but a float64 holds it exactly.
        assertEquals(List.of(1e20, -1152921504606846976.0), convert("jsonb", "[100000000000000000000, -1152921504606846976]"));
        assertEquals(List.of(1e20), convert("json", "[100000000000000000000]"));
        assertTrue(assertThrows(RowConverter.Rejected.class, () -> convert("jsonb", "[100000000000000000001]"))
                .getMessage().contains("100000000000000000001 is not exactly representable"));
        assertTrue(assertThrows(RowConverter.Rejected.class, () -> convert("jsonb", "[1" + "0".repeat(400) + "]"))
                .getMessage().contains("is beyond a Convex number's range"));
    }

    /**
     * jsonb is transcoded by hand, json through Jackson's tree: for any JSON text both give the same bytes (so a
     * document synced by either has the same hash), or both reject the value. Checked over generated documents with
     * every escape, spacing and number form.
     */
    @Test
    void streamedJsonbEncodesByteForByteAsTheTreePath() throws Exception {
        java.util.Random random = new java.util.Random(42);
        RowConverter jsonb = new RowConverter(new SourceTable("public", "t", List.of(column("v", "jsonb")), List.of(),
                Optional.empty()), Optional.empty());
        RowConverter json = new RowConverter(new SourceTable("public", "t", List.of(column("v", "json")), List.of(),
                Optional.empty()), Optional.empty());
        int rejected = 0;
        for (int i = 0; i < 20_000; i++) {
            String text = randomJson(random, 0);
            byte[] tree;
            try {
                tree = json.encode(new Object[]{text});
            } catch (RowConverter.Rejected e) {
                assertThrows(RowConverter.Rejected.class, () -> jsonb.encode(new Object[]{text}), text);
                rejected++;
                continue;
            }
            assertEquals(new String(tree, StandardCharsets.UTF_8),
                    new String(jsonb.encode(new Object[]{text}), StandardCharsets.UTF_8), text);
            // As the binary copy reads jsonb: its UTF-8 bytes, written straight into the row by a reused transcoder.
            assertEquals(new String(tree, StandardCharsets.UTF_8), new String(jsonb.encode(new Object[]{
                    new JsonColumn.Text(text.getBytes(StandardCharsets.UTF_8))}), StandardCharsets.UTF_8), text);
        }
        assertTrue(rejected > 100 && rejected < 10_000, "both kinds of text were generated: " + rejected);
        for (String bad : List.of("", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "1e", "tru", "\"\u0001\"", "[1] 2",
                "{\"a\":1,}", "\"\\x\"", "\"\\u12\"", "\"\\u-001\"", "\"\\u+12a\"")) {
            RowConverter.Rejected e = assertThrows(RowConverter.Rejected.class, () -> jsonb.encode(new Object[]{bad}),
                    bad);
            assertEquals("column v: not valid JSON", e.getMessage(), bad);
        }
        assertTrue(assertThrows(RowConverter.Rejected.class, () -> jsonb.encode(new Object[]{"\"\\ud800\""}))
                .getMessage().contains("unpaired UTF-16 surrogate"));
        assertTrue(assertThrows(RowConverter.Rejected.class, () -> jsonb.encode(new Object[]{"[".repeat(1001)
                + "]".repeat(1001)})).getMessage().contains("nested more than 1000 levels deep"));
    }

    private static String randomJson(java.util.Random random, int depth) {
        int kind = random.nextInt(depth > 3 ? 5 : 7);
        String space = List.of("", "", " ", "\n ", "\t").get(random.nextInt(5));
        return switch (kind) {
            case 0 -> "null";
            case 1 -> random.nextBoolean() ? "true" : "false";
            case 2 -> List.of("0", "-0", "1", "-17", "9007199254740992", "-9007199254740993", "12345678901234567",
                    "1.5", "-0.0", "1e300", "1e400", "0.1", "123456789.125", "2.5E-7", "1E+5", "-0e0", "5e-324",
                    "100000000000000000000000.0", "0.000001", "100000000000000000000", "-1152921504606846977",
                    "1" + "0".repeat(310)).get(random.nextInt(22));
            case 3 -> List.of("\"\"", "\"x\"", "\"héllo ✓\"", "\"quote \\\" and \\\\\"", "\"tab\\tnew\\nline\"",
                    "\"\\u0001\\u001f\\u007F\"", "\"日本\"", "\"\\/slash\\b\\f\\r\"", "\"\\u00e9\\ud83d\\ude00\"",
                    "\"\uD83D\uDE00 pair\"", "\"$dollar\"").get(random.nextInt(11));
            case 4 -> String.valueOf(random.nextInt());
            case 5 -> {
                StringBuilder array = new StringBuilder("[" + space);
                for (int i = random.nextInt(4); i > 0; i--) {
                    array.append(randomJson(random, depth + 1)).append(space).append(i > 1 ? "," + space : "");
                }
                yield array.append(']').toString();
            }
            default -> {
                StringBuilder object = new StringBuilder("{" + space);
                for (int i = random.nextInt(4); i > 0; i--) {
                    String name = List.of("k" + i, "k" + i + "é", "k\\u00e9" + i, "$k" + i, "", "k\\\"" + i)
                            .get(random.nextInt(random.nextInt(8) == 0 ? 6 : 3));
                    object.append('"').append(name).append('"').append(space).append(':').append(space)
                            .append(randomJson(random, depth + 1)).append(space).append(i > 1 ? "," + space : "");
                }
                yield object.append('}').toString();
            }
        };
    }

    /**
     * {@code encode} writes the common kinds of an undeclared table without the objects {@code document} makes: for any
     * row it gives the bytes of {@code document}'s map as Convex encodes it, or the same rejection.
     */
    @Test
    void anEncodedRowIsTheEncodedDocument() throws Exception {
        List<SourceTable.Column> columns = List.of(column("i", "int4"), column("l", "int8"), column("d", "float8"),
                column("b", "bool"), column("s", "text"), column("j", "jsonb"), column("t", "timestamptz"),
                column("ts", "timestamp"), column("day", "date"), column("n", "numeric"), column("bytes", "bytea"),
                column("a", "_int4"), column("json", "json"), column("x", "inet"));
        RowConverter converter = new RowConverter(new SourceTable("public", "t", columns, List.of(), Optional.empty()),
                Optional.empty());
        java.util.Random random = new java.util.Random(5);
        int rejected = 0;
        for (int i = 0; i < 20_000; i++) {
            Object[] row = {
                    random.nextInt(),
                    random.nextLong() >> random.nextInt(64),
                    List.of(Double.NaN, -0.0, 1.5, 1e300, (double) random.nextLong(), Double.NEGATIVE_INFINITY)
                            .get(random.nextInt(6)),
                    random.nextBoolean(),
                    List.of("", "plain", "quote \" é ✓ \uD83D\uDE00", "\u0000\n").get(random.nextInt(4)),
                    new JsonColumn.Text(randomJson(random, 0).getBytes(StandardCharsets.UTF_8)),
                    java.time.Instant.ofEpochSecond(random.nextLong(-10_000_000_000L, 10_000_000_000L),
                            random.nextInt(1_000_000) * 1000),
                    LocalDateTime.ofEpochSecond(random.nextLong(-10_000_000_000L, 10_000_000_000L),
                            random.nextInt(1_000_000) * 1000, ZoneOffset.UTC),
                    LocalDate.ofEpochDay(random.nextInt(-1_000_000, 1_000_000)),
                    new BigDecimal(java.math.BigInteger.valueOf(random.nextLong() >> random.nextInt(64)),
                            random.nextInt(-3, 20)),
                    new byte[]{(byte) random.nextInt()},
                    new Object[]{random.nextInt(), null},
                    randomJson(random, 0),
                    "10.0.0.1"};
            for (int column = 0; column < row.length; column++) {
                if (random.nextInt(10) == 0) {
                    row[column] = null;
                }
            }
            byte[] fromDocument;
            try {
                fromDocument = ConvexValues.encodeToBytes(converter.document(row));
            } catch (RowConverter.Rejected e) {
                RowConverter.Rejected direct = assertThrows(RowConverter.Rejected.class, () -> converter.encode(row));
                assertEquals(e.getMessage(), direct.getMessage());
                rejected++;
                continue;
            }
            assertEquals(new String(fromDocument, StandardCharsets.UTF_8),
                    new String(converter.encode(row), StandardCharsets.UTF_8));
        }
        assertTrue(rejected > 1_000 && rejected < 19_000, "rows of both outcomes were generated: " + rejected);
    }

    /** A row's key is canonical JSON: the quick path for plain text writes what Jackson writes for any text. */
    @Test
    void rowKeysAreWhatJacksonWrites() throws Exception {
        for (List<String> key : List.of(List.of("1"), List.of("a", "b c"), List.of("quote\"", "back\\slash"),
                List.of("tab\t", "é", "\u007f", "日本"), List.of(""), List.of("2024-01-01 00:00:00+00", "9"))) {
            assertEquals(JSON.writeValueAsString(key), PostgresTableReader.key(key));
        }
    }

    @Test
    void bytesBooleansTextAndArrays() throws Exception {
        assertArrayEquals(new byte[]{1, 2}, (byte[]) convert("bytea", new byte[]{1, 2}));
        assertEquals(true, convert("bool", true));
        assertEquals("9b2f0d1e-0000-4000-8000-000000000000", convert("uuid", "9b2f0d1e-0000-4000-8000-000000000000"));
        List<Object> withNull = new ArrayList<>(List.of(1.0));
        withNull.add(null);
        assertEquals(withNull, convert("_int4", new Object[]{1, null}));
        assertEquals(List.of("a", "b"), convert("_text", new Object[]{"a", "b"}));
    }

    @Test
    void nullOmitsTheFieldByDefault() throws Exception {
        SourceTable table = new SourceTable("public", "t", List.of(column("v", "text")), List.of(), Optional.empty());
        assertEquals(Map.of(), new RowConverter(table, Optional.empty()).document(new Object[]{null}));
    }

    @Test
    void aDeclaredTableDecidesTypesAndWhichColumnsAreWritten() throws Exception {
        SourceTable table = new SourceTable("public", "t", List.of(column("big", "int8"), column("amount", "numeric"),
                column("note", "text"), column("secret", "text"), column("maybe", "text")), List.of(), Optional.empty());
        RowConverter converter = new RowConverter(table, Optional.of(declared(
                "{\"big\": \"int64\", \"amount\": \"string\", \"note\": \"string?\", \"maybe\": \"null|string\"}")));
        assertEquals(List.of("secret"), converter.skippedColumns());
        Map<String, Object> doc = converter.document(new Object[]{9007199254740993L, new BigDecimal("1.230000000000000000001"),
                null, "not written", null});
        assertEquals(9007199254740993L, doc.get("big"));
        assertEquals("1.230000000000000000001", doc.get("amount"));
        assertFalse(doc.containsKey("note"), "an optional field is omitted for NULL");
        assertFalse(doc.containsKey("secret"));
        assertTrue(doc.containsKey("maybe") && doc.get("maybe") == null, "null where the type allows it");
    }

    @Test
    void nullInARequiredDeclaredFieldRejectsTheRow() {
        SourceTable table = new SourceTable("public", "t", List.of(column("name", "text")), List.of(), Optional.empty());
        RowConverter converter = new RowConverter(table, Optional.of(declared("{\"name\": \"string\"}")));
        RowConverter.Rejected e = assertThrows(RowConverter.Rejected.class, () -> converter.document(new Object[]{null}));
        assertEquals("column name is NULL but the declared field is required", e.getMessage());
    }
}
