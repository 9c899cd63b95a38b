package io.percore.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MemorySizeTest {

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '=', value = {
            "512M = 536870912",
            "4G = 4294967296",
            "1T = 1099511627776",
            "1024 = 1024",
            "2GiB = 2147483648",
            "512m = 536870912",
            "4gb = 4294967296",
            "10k = 10240",
            "1KiB = 1024",
            "3MB = 3145728",
            "100B = 100",
            "0 = 0",
            "8388607T = 9223370937343148032",
    })
    void parsesSizesWithBinaryUnits(String text, long bytes) {
        assertEquals(bytes, MemorySize.parse(text));
    }

    @Test
    void ignoresSurroundingBlanks() {
        assertEquals(8L << 30, MemorySize.parse(" 8G\n"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "abc", "12X", "1.5G", "-1G", "+1G", "G", "4 G", "1GG", "1iB", "1Gi",
            "0x10", "１G"})
    void rejectsMalformedSizesNamingTheInput(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemorySize.parse(text));
        assertTrue(e.getMessage().contains("\"" + text + "\""), e.getMessage());
        assertTrue(e.getMessage().contains("512M"), "the message shows an example: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"8388608T", "9223372036854775807K", "9223372036854775808", "99999999999999999999"})
    void rejectsSizesThatDoNotFitALong(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemorySize.parse(text));
        assertTrue(e.getMessage().contains("\"" + text + "\"") && e.getMessage().contains("larger than"),
                e.getMessage());
    }

    @Test
    void largestLongParses() {
        assertEquals(Long.MAX_VALUE, MemorySize.parse(Long.toString(Long.MAX_VALUE)));
    }

    @Test
    void rejectsNull() {
        assertThrows(IllegalArgumentException.class, () -> MemorySize.parse(null));
    }

    @Test
    void formatsWithTheLargestExactUnit() {
        assertEquals("512M", MemorySize.format(512L << 20));
        assertEquals("1536K", MemorySize.format(1536L << 10));
        assertEquals("1000", MemorySize.format(1000));
        assertEquals("0", MemorySize.format(0));
        assertEquals("1T", MemorySize.format(1L << 40));
        assertEquals("1024T", MemorySize.format(1L << 50));
        assertEquals("3G", MemorySize.format(3L << 30));
        assertThrows(IllegalArgumentException.class, () -> MemorySize.format(-1));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 1023, 1024, 4097, 3L << 30, (5L << 30) + (1 << 20), Long.MAX_VALUE, 1L << 62})
    void formatThenParseRoundTrips(long bytes) {
        assertEquals(bytes, MemorySize.parse(MemorySize.format(bytes)));
    }
}
