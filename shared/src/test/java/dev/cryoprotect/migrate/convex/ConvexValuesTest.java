package dev.cryoprotect.migrate.convex;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.testing.TestConvex;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

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

    private static String encoded(Object value) {
        return ConvexValues.encode(value).toString();
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
    }

    @Test
    void reservedFieldNamesAndUnknownEncodingsAreRefused() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> ConvexValues.encode(Map.of("$x", 1)));
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
