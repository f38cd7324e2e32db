package dev.cryoprotect.migrate.convex;

import dev.cryoprotect.migrate.testing.TestConvex;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Convex's measures of a document: size as convex/values' getDocumentSize counts it, nesting as its backend does. */
class DocumentLimitsTest {

    private static byte[] encoded(Object value) {
        return ConvexValues.encodeToBytes(value);
    }

    private static String problem(Object document) {
        byte[] json = encoded(document);
        ConvexJsonWriter writer = new ConvexJsonWriter();
        writer.value(document);
        String counted = DocumentLimits.problem(json, json.length, writer.nesting());
        assertEquals(counted, DocumentLimits.problem(json, json.length, -1), "the writer's count and the scan agree");
        return counted;
    }

    @Test
    void sizeCountsNumbersAsNineBytesBytesDecodedAndTheSystemFields() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("a", 1.0);
        doc.put("b", "xy");
        doc.put("c", Arrays.asList(true, null));
        doc.put("d", 1L);
        doc.put("e", new byte[]{0, 1, 2});
        doc.put("f", "é\u0001😀");
        // 2 + a (1+1+9) + b (1+1+4) + c (1+1+4) + d (1+1+9) + e (1+1+5) + f (1+1+2+2+1+4) + _id 38 + _creationTime 23
        assertEquals(2 + 11 + 6 + 6 + 11 + 7 + 11 + 38 + 23, DocumentLimits.size(encoded(doc), encoded(doc).length));
    }

    /** What the old check (the encoded length) got wrong, both ways. */
    @Test
    void theLimitIsConvexsMeasureNotTheEncodedLength() {
        byte[] bytes = new byte[900_000]; // 1.2 MB as base64, 0.86 MiB to Convex
        assertNull(problem(Map.of("file", bytes)));
        assertNull(problem(Map.of("text", "\u0001".repeat(200_000))), "1.2 MB of escapes, 0.2 MB of text");

        List<Object> numbers = new ArrayList<>(); // 17 arrays of 8192 small numbers: 0.56 MB encoded, 1.2 MiB to Convex
        for (int i = 0; i < 17; i++) {
            numbers.add(new ArrayList<>(java.util.Collections.nCopies(8192, 1.0)));
        }
        assertTrue(encoded(Map.of("n", numbers)).length < 600_000);
        String tooLarge = problem(Map.of("n", numbers));
        assertTrue(tooLarge != null && tooLarge.contains("the document is 1224 KiB as Convex measures it; Convex stores"
                + " at most 1 MiB per document"), tooLarge);
        assertTrue(problem(Map.of("file", new byte[1 << 20])).contains("1024 KiB"));
    }

    @Test
    void nestingCountsTheDocumentAndEachContainerButNotValueWrappers() {
        Object value = 1L; // {"$integer": ...}: a value, not an object
        for (int i = 0; i < 15; i++) {
            value = i % 2 == 0 ? List.of(value) : Map.of("k", value);
        }
        assertNull(problem(Map.of("deep", value)), "16 levels with the document");
        String tooDeep = problem(Map.of("deep", List.of(value)));
        assertTrue(tooDeep != null && tooDeep.startsWith("the document nests 17 levels deep; Convex stores at most 16"),
                tooDeep);
        assertEquals(1, DocumentLimits.nesting(encoded(Map.of("a", 1L, "b", new byte[2], "c", Double.NaN)), 
                encoded(Map.of("a", 1L, "b", new byte[2], "c", Double.NaN)).length));
        byte[] brackets = "{\"a\": [\"]]}\", {\"b\\\"[\": 1}]}".getBytes(StandardCharsets.UTF_8);
        assertEquals(3, DocumentLimits.nesting(brackets, brackets.length), "brackets in strings do not count");
    }

    /** Random documents measured here and by the convex package's own getDocumentSize: the same bytes, every one. */
    @Test
    void sizesAgreeWithTheConvexPackagesOwnMeasure() throws Exception {
        Random random = new Random(20261206);
        List<byte[]> documents = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            documents.add(encoded(randomObject(random, 0)));
        }
        Process node = new ProcessBuilder("node", "-e", """
                const { jsonToConvex, getDocumentSize } = require("convex/values");
                const lines = require("fs").readFileSync(0, "utf8").split("\\n").filter((l) => l.length > 0);
                for (const line of lines) console.log(getDocumentSize(jsonToConvex(JSON.parse(line))));
                """).directory(TestConvex.convexDir().toFile()).redirectErrorStream(true).start();
        try (OutputStream in = node.getOutputStream()) {
            for (byte[] document : documents) {
                in.write(document);
                in.write('\n');
            }
        }
        List<String> sizes;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(),
                StandardCharsets.UTF_8))) {
            sizes = out.lines().toList();
        }
        assertTrue(node.waitFor(60, TimeUnit.SECONDS));
        assertEquals(documents.size(), sizes.size(), String.join("\n", sizes.subList(0, Math.min(20, sizes.size()))));
        for (int i = 0; i < documents.size(); i++) {
            byte[] document = documents.get(i);
            assertEquals(Long.parseLong(sizes.get(i)), DocumentLimits.size(document, document.length),
                    new String(document, StandardCharsets.UTF_8));
        }
    }

    private static Map<String, Object> randomObject(Random random, int depth) {
        Map<String, Object> object = new LinkedHashMap<>();
        int fields = random.nextInt(depth == 0 ? 12 : 5);
        for (int i = 0; i < fields; i++) {
            object.put(randomName(random) + i, randomValue(random, depth + 1));
        }
        return object;
    }

    private static Object randomValue(Random random, int depth) {
        int kind = random.nextInt(depth > 4 ? 8 : 10);
        return switch (kind) {
            case 0 -> null;
            case 1 -> random.nextBoolean();
            case 2 -> random.nextInt(5) == 0 ? Double.NaN : random.nextGaussian() * Math.pow(10, random.nextInt(30) - 10);
            case 3 -> random.nextLong();
            case 4, 5 -> randomString(random, random.nextInt(40));
            case 6 -> {
                byte[] bytes = new byte[random.nextInt(50)];
                random.nextBytes(bytes);
                yield bytes;
            }
            case 7 -> (double) random.nextInt(1000);
            case 8 -> {
                List<Object> list = new ArrayList<>();
                int n = random.nextInt(6);
                for (int i = 0; i < n; i++) {
                    list.add(randomValue(random, depth + 1));
                }
                yield list;
            }
            default -> randomObject(random, depth);
        };
    }

    /** A field name: printable ASCII (what Convex allows), escapes included, never a leading '$' or '_'. */
    private static String randomName(Random random) {
        String allowed = "aZ7 \"\\/~{[";
        StringBuilder name = new StringBuilder("f");
        for (int i = random.nextInt(8); i > 0; i--) {
            name.append(allowed.charAt(random.nextInt(allowed.length())));
        }
        return name.toString();
    }

    /** Text of every width in UTF-8: ASCII, escapes, two and three bytes, and characters beyond the BMP. */
    private static String randomString(Random random, int length) {
        String[] pieces = {"a", "Z", "7", " ", "\"", "\\", "\n", "\u0001", "\u001f", "é", "ß", "€", "日", "😀", "𝄞", "/",
                "\u007f", "\u2028"};
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            text.append(pieces[random.nextInt(pieces.length)]);
        }
        return text.toString();
    }
}
