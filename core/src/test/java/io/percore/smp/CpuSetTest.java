package io.percore.smp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link CpuSet}: parsing {@code --cpuset} lists, and the CPUs this process may use. */
class CpuSetTest {

    @Test
    void parsesRangesAndSingleCpus() {
        assertEquals(List.of(0, 1, 2, 3, 8), CpuSet.parse("0-3,8"));
        assertEquals(List.of(5), CpuSet.parse("5"));
        assertEquals(List.of(7), CpuSet.parse("7-7"));
        assertEquals(List.of(0, 1, 10, 11), CpuSet.parse("10-11,0-1"));
    }

    @Test
    void toleratesSpaces() {
        assertEquals(List.of(0, 1, 2, 3, 8), CpuSet.parse(" 0-3 , 8 "));
        assertEquals(List.of(0, 1, 2, 3, 8), CpuSet.parse("0 - 3,8"));
        assertEquals(List.of(4), CpuSet.parse("\t4\n"));
    }

    @Test
    void sortsAndMergesOverlaps() {
        assertEquals(List.of(0, 1, 2, 3, 4, 8), CpuSet.parse("8,2-4,0-3,3"));
    }

    @ParameterizedTest(name = "''{0}'' fails mentioning ''{1}''")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "a        | 'a' is not a CPU number or range",
        "3-1      | bad CPU range '3-1'",
        "-1       | '-1' is not a CPU number or range",
        "0,,2     | '' is not a CPU number or range",
        "1-       | '1-' is not a CPU number or range",
        "0-3,x    | 'x' is not a CPU number or range",
        "1.5      | '1.5'",
        "70000    | bad CPU number in '70000'",
        "0-70000  | bad CPU number in '0-70000'",
        "0-5000   | bad CPU range '0-5000'",
    })
    void rejectsMalformedListsNamingTheBadPart(String spec, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuSet.parse(spec));
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' should contain " + expected);
    }

    @Test
    void rejectsEmptyLists() {
        for (String spec : new String[] {"", " ", null}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuSet.parse(spec));
            assertEquals("empty CPU list", e.getMessage());
        }
    }

    @Test
    void allowedListsTheCpusThisProcessMayUseAscending() {
        List<Integer> cpus = CpuSet.allowed();
        assertFalse(cpus.isEmpty());
        for (int i = 1; i < cpus.size(); i++) {
            assertTrue(cpus.get(i - 1) < cpus.get(i), "ascending and distinct: " + cpus);
        }
        assertTrue(cpus.get(0) >= 0);
        // The JVM's count also honours CPU quotas, so it can be lower, never higher.
        assertTrue(cpus.size() >= Runtime.getRuntime().availableProcessors(), cpus.toString());
    }
}
