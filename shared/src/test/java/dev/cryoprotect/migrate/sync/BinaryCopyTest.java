package dev.cryoprotect.migrate.sync;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The parts of the binary COPY reader that need no database: arrays in their text form, times and dates. */
@Tag("fast")
class BinaryCopyTest {

    private static String parsed(String text, char delimiter) {
        return Arrays.deepToString(BinaryCopy.textArray(text, delimiter));
    }

    @Test
    void arraysInTextFormKeepNullsQuotingAndDimensions() {
        assertEquals("[]", parsed("{}", ','));
        assertEquals("[1.2.3.4, null, 10.0.0.0/8]", parsed("{1.2.3.4,NULL,10.0.0.0/8}", ','));
        assertEquals("[a b, NULL, \"q\", back\\slash, ]", parsed("{\"a b\",\"NULL\",\"\\\"q\\\"\",\"back\\\\slash\",\"\"}", ','));
        assertEquals("[[1, 2], [3, null]]", parsed("{{1,2},{3,NULL}}", ','));
        assertEquals("[x, y]", parsed("[0:1]={x,y}", ','));
        assertEquals("[(1,1),(0,0), (2,2),(1,1)]", parsed("{(1,1),(0,0);(2,2),(1,1)}", ';'));
    }

    /**
     * Timestamps are microseconds from 2000-01-01 and dates days from it, both signed: decoded by arithmetic, they
     * must land where java.time's own calendar arithmetic puts them, before 1970 and 2000 and after 9999 too.
     */
    @Test
    void timesAndDatesLandWhereJavaTimePutsThem() {
        LocalDateTime epoch2000 = LocalDateTime.of(2000, 1, 1, 0, 0);
        SplittableRandom random = new SplittableRandom(7);
        long[] edges = {0, 1, -1, 999_999, -999_999, 1_000_000, -1_000_000, -1_000_001, -63_113_904_000_000L,
                -211_813_488_000_000_000L, 9_223_371_331_199_999_999L};
        for (int i = 0; i < 10_000 + edges.length; i++) {
            long micros = i < edges.length ? edges[i] : random.nextLong(-211_813_488_000_000_000L,
                    9_223_371_331_199_999_999L);
            byte[] bytes = ByteBuffer.allocate(8).putLong(micros).array();
            LocalDateTime expected = epoch2000.plus(micros, ChronoUnit.MICROS);
            assertEquals(expected.toInstant(ZoneOffset.UTC), BinaryCopy.value(bytes, 0, 8, BinaryCopy.Decoding.TIMESTAMPTZ),
                    "timestamptz of " + micros);
            assertEquals(expected, BinaryCopy.value(bytes, 0, 8, BinaryCopy.Decoding.TIMESTAMP), "timestamp of " + micros);
            int days = (int) (micros / 86_400_000_000L);
            assertEquals(LocalDate.of(2000, 1, 1).plusDays(days),
                    BinaryCopy.value(ByteBuffer.allocate(4).putInt(days).array(), 0, 4, BinaryCopy.Decoding.DATE));
        }
        assertEquals(Double.POSITIVE_INFINITY, BinaryCopy.value(ByteBuffer.allocate(8).putLong(Long.MAX_VALUE).array(), 0,
                8, BinaryCopy.Decoding.TIMESTAMPTZ));
    }
}
