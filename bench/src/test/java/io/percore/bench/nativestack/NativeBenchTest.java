package io.percore.bench.nativestack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.percore.bench.BenchMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ./percore bench native --quick} end to end, so the harness cannot rot: both servers start in namespaces the
 * bench creates, every measurement runs, the output ends with the figure lines the docs quote, and the namespaces are
 * gone afterwards. The numbers are not checked (a quick run on a shared machine means nothing), only that each is
 * there and positive. Needs root, /dev/net/tun, iproute2 and taskset; skipped otherwise.
 */
@Timeout(120)
class NativeBenchTest {
    private static final Pattern FIGURE = Pattern.compile("figure [a-z0-9]+(_[a-z0-9]+)* -?[0-9]+(\\.[0-9]+)? \\S+");

    @Test
    void quickRunEndsWithItsFiguresAndLeavesNoNamespace() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        boolean tun = Files.exists(Path.of("/dev/net/tun"));
        boolean ip = Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"));
        boolean taskset = Files.isExecutable(Path.of("/usr/bin/taskset")) || Files.isExecutable(Path.of("/bin/taskset"));
        assumeTrue(root && tun && ip && taskset, "bench native needs root, /dev/net/tun, ip and taskset (root=" + root
                + ", tun=" + tun + ", ip=" + ip + ", taskset=" + taskset + "); skipped");

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = BenchMain.run(new String[] {"native", "--quick"}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, out);

        String[] lines = out.strip().split("\\R");
        int first = lines.length;
        while (first > 0 && lines[first - 1].startsWith("figure ")) {
            first--;
        }
        List<String> figures = new ArrayList<>(List.of(lines).subList(first, lines.length));
        for (String f : figures) {
            assertTrue(FIGURE.matcher(f).matches(), "malformed figure line '" + f + "'");
        }
        for (String stack : new String[] {"native_tap", "posix_veth"}) {
            assertHas(figures, "echo_" + stack + "_rr_rate", "rt/s");
            assertHas(figures, "echo_" + stack + "_rr_p50", "us");
            assertHas(figures, "echo_" + stack + "_rr_p99", "us");
            assertHas(figures, "echo_" + stack + "_rr16_rate", "rt/s");
            assertHas(figures, "echo_" + stack + "_rr16_per_cpu_s", "rt/CPU-s");
            assertHas(figures, "echo_" + stack + "_bulk", "MiB/s");
            assertHas(figures, "echo_" + stack + "_bulk_cpu_per_gib", "CPU-s/GiB");
            assertHas(figures, "echo_" + stack + "_memory_per_conn", "KiB");
        }
        assertHas(figures, "echo_native_vs_posix_rr_rate", "x");
        assertHas(figures, "echo_native_vs_posix_bulk", "x");

        Process list = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String namespaces = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        list.waitFor();
        long pid = ProcessHandle.current().pid();
        assertFalse(namespaces.contains("pcbc" + pid) || namespaces.contains("pcbs" + pid),
                "the bench left its namespaces behind:\n" + namespaces);
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
