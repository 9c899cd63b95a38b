package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import org.junit.jupiter.api.Test;

class CpuListTest {
    private static BitSet of(int... bits) {
        BitSet s = new BitSet();
        for (int b : bits) {
            s.set(b);
        }
        return s;
    }

    @Test
    void parsesSingleNumbersAndRangesWithTrailingNewline() {
        assertEquals(of(0), CpuList.parse("0\n"));
        assertEquals(of(0, 1, 3), CpuList.parse("0-1,3"));
        assertEquals(of(2, 3, 4, 8, 10, 11), CpuList.parse(" 2-4,8,10-11\n"));
    }

    @Test
    void emptyTextIsEmptySet() {
        assertTrue(CpuList.parse("\n").isEmpty());
    }

    @Test
    void rejectsMalformedLists() {
        for (String bad : new String[] {"a", "1-", "-1", "3-1", "1,,2", "1-2-3", "99999999"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuList.parse(bad), bad);
            assertTrue(e.getMessage().contains(bad.strip()), e.getMessage());
        }
    }

    @Test
    void formatsWithCollapsedRangesAndRoundTrips() {
        assertEquals("", CpuList.format(new BitSet()));
        assertEquals("0-2,5", CpuList.format(of(0, 1, 2, 5)));
        assertEquals("1,3,5-6", CpuList.format(of(1, 3, 5, 6)));
        BitSet s = of(0, 2, 3, 4, 63, 64, 65, 200);
        assertEquals(s, CpuList.parse(CpuList.format(s)));
    }
}
