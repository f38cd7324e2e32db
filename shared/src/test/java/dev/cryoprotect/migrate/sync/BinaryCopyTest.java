package dev.cryoprotect.migrate.sync;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The part of the binary COPY reader that needs no database: arrays in their text form. */
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
}
