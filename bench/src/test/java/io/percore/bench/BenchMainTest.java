package io.percore.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs every {@code ./percore bench} mode with {@code --quick} (under a second each) and checks the contract the
 * launcher and the docs rely on: exit status 0, output ending in well-formed {@code figure} lines, the headline
 * figures present with their units. The numbers themselves are not checked: a quick run on a shared machine
 * means nothing, but a harness that stops printing them, or prints NaN, fails here.
 */
class BenchMainTest {
    private static final Pattern FIGURE = Pattern.compile("figure [a-z0-9]+(_[a-z0-9]+)* -?[0-9]+(\\.[0-9]+)? \\S+");

    @Test
    void futuresEndsWithItsFigures() throws Exception {
        List<String> figures = runQuick("futures");
        assertHas(figures, "future_chain_ready_vs_completablefuture", "x");
        assertHas(figures, "future_chain_later_vs_completablefuture", "x");
        assertHas(figures, "future_chain_later_ns", "ns");
        assertHas(figures, "async_await_pending_ns", "ns");
        assertHas(figures, "async_await_pending_cost_over_flatmap", "x");
        assertHas(figures, "future_chain_ready_bytes", "B");
    }

    @Test
    void smpEndsWithItsFigures() throws Exception {
        List<String> figures = runQuick("smp");
        assertHas(figures, "smp_roundtrip_p50", "us");
        assertHas(figures, "smp_roundtrip_p99", "us");
        assertHas(figures, "smp_roundtrip_p50_vs_threadpool", "x");
        assertHas(figures, "smp_oneway_mps", "Mmsg/s");
        assertHas(figures, "spscring_vs_jctools", "x");
    }

    @Test
    void countersEndsWithItsFigures() throws Exception {
        List<String> figures = runQuick("counters");
        for (int t : new int[] {1, 2, 4}) {
            assertHas(figures, "counter_" + t + "t_percore_ns", "ns");
            assertHas(figures, "counter_" + t + "t_percore_vs_atomiclong", "x");
            assertHas(figures, "counter_" + t + "t_synchronized_ns", "ns");
        }
    }

    @Test
    void unknownModeIsAUsageError() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = BenchMain.run(new String[] {"nosuch"}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertEquals(2, status);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("usage: percore bench futures|smp|counters"), out);
        assertFalse(out.contains("figure "), out);
    }

    /** Runs a mode with --quick; checks the status and that the output ends with figure lines only; returns them. */
    private static List<String> runQuick(String mode) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = BenchMain.run(new String[] {mode, "--quick"}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, out);
        String[] lines = out.strip().split("\\R");
        int first = lines.length;
        while (first > 0 && lines[first - 1].startsWith("figure ")) {
            first--;
        }
        List<String> figures = new ArrayList<>(List.of(lines).subList(first, lines.length));
        assertTrue(figures.size() >= 5, "too few figure lines at the end:\n" + out);
        Set<String> names = new HashSet<>();
        for (String f : figures) {
            assertTrue(FIGURE.matcher(f).matches(), "malformed figure line '" + f + "'");
            assertTrue(names.add(f.split(" ")[1]), "figure named twice: " + f);
        }
        for (int i = 0; i < first; i++) {
            assertFalse(lines[i].startsWith("figure "), "figure line before the detail ends: " + lines[i]);
        }
        return figures;
    }

    private static void assertHas(List<String> figures, String name, String unit) {
        for (String f : figures) {
            String[] parts = f.split(" ");
            if (parts[1].equals(name)) {
                assertEquals(unit, parts[3], f);
                assertTrue(Double.parseDouble(parts[2]) > 0, "figure not positive: " + f);
                return;
            }
        }
        throw new AssertionError("no figure " + name + " in " + figures);
    }
}
