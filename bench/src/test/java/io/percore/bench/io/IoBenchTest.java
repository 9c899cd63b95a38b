package io.percore.bench.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The io comparison's parsing and figures: fio's terse fields for reads and writes (synthetic, and a real fio run
 * when fio is installed), io_tester's summary line, figure names and ratios, and the usage error.
 */
class IoBenchTest {
    /** A terse v3 line with {@code bw} KiB/s, {@code iops} and a 99th percentile in the read or write group. */
    private static String terse(boolean write, double bw, double iops, int p99) {
        String[] f = new String[130];
        Arrays.fill(f, "0");
        f[0] = "3";
        f[1] = "fio-3.33";
        f[2] = "p";
        int base = write ? 46 : 5;
        f[base + 1] = Double.toString(bw);
        f[base + 2] = Double.toString(iops);
        for (int i = 0; i < 20; i++) {
            f[base + 12 + i] = (i == 14 ? "99.000000" : "50.000000") + "%=" + (i == 14 ? p99 : 7);
        }
        f[87] = "4.000000%"; // user CPU
        f[88] = "20.000000%"; // system CPU
        return "fio noise\n" + String.join(";", f) + "\n";
    }

    @Test
    void fioTerseFieldsAreReadForReadsAndWrites() {
        IoBench.Measured r = IoBench.parseFioTerse(terse(false, 2048, 512, 228), false);
        // 24 % of a CPU over 512 requests a second: 468.75 us each.
        assertEquals(new IoBench.Measured(512, 2, 228, 468.75), r);
        IoBench.Measured w = IoBench.parseFioTerse(terse(true, 1024 * 300, 2400, 1036), true);
        assertEquals(new IoBench.Measured(2400, 300, 1036, 100), w);
    }

    @Test
    void aRealFioRunParses() throws Exception {
        boolean haveFio;
        try {
            haveFio = new ProcessBuilder("fio", "--version").start().waitFor(10, TimeUnit.SECONDS);
        } catch (java.io.IOException e) {
            haveFio = false;
        }
        assumeTrue(haveFio, "fio is not installed");
        Path dir = Path.of("target", "iobench-test").toAbsolutePath();
        Files.createDirectories(dir);
        Path file = dir.resolve("f.dat");
        IoBench.Point p = new IoBench.Point("randread_4k_qd1", "randread", "randread", 4096, 1, false);
        int cpu = io.percore.smp.CpuSet.allowed().getLast();
        IoBench.Measured m = IoBench.fio(file, 16L << 20, p, "libaio", new IoBench.Timing(1, 1, 0.2, cpu, 0));
        assertTrue(m.iops() > 0 && m.mibPerSecond() > 0, m.toString());
        assertEquals(m.iops() * 4096 / (1 << 20), m.mibPerSecond(), m.mibPerSecond() * 0.02, m.toString());
        assertTrue(m.cpuMicrosPerOp() > 0 && m.cpuMicrosPerOp() < 1e6 / m.iops() * 1.5, m.toString());
        Files.deleteIfExists(file);
    }

    @Test
    void ioTesterSummaryParses() {
        String out = "io_tester: 1 shard(s)\n\nsummary job iops=52959.5 bandwidth_mib_s=206.87 p50_us=138.0 p95_us=181.0"
                + " p99_us=228.5 p999_us=300.0 max_us=5278.0 cpu_us_per_op=6.25\nINFO stopped\n";
        assertEquals(new IoBench.Measured(52959.5, 206.87, 228.5, 6.25), IoBench.parseSummary(out));
        String older = "summary job iops=10.0 bandwidth_mib_s=1.00 p50_us=1.0 p95_us=2.0 p99_us=3.0 p999_us=4.0"
                + " max_us=5.0\n";
        assertEquals(new IoBench.Measured(10, 1, 3, 0), IoBench.parseSummary(older));
    }

    private static List<IoBench.Measured> rounds(double... headline) {
        return Arrays.stream(headline).mapToObj(v -> new IoBench.Measured(v, v / 8, 100, 0)).toList();
    }

    @Test
    void figuresNameTheEngineAndComparePercoreWithItsPeers() {
        Map<String, List<IoBench.Measured>> results = new LinkedHashMap<>();
        results.put("randread_4k_qd1_fio_io_uring", rounds(20000));
        results.put("randread_4k_qd1_fio_libaio", rounds(16000));
        results.put("randread_4k_qd1_percore_epoll_threadpool", rounds(8000));
        results.put("randread_4k_qd1_percore_io_uring", rounds(19000));
        results.put("seqwrite_128k_qd8_fio_libaio", List.of(new IoBench.Measured(8000, 1000, 900, 0)));
        results.put("seqwrite_128k_qd8_percore_linux_aio", List.of(new IoBench.Measured(7600, 950, 900, 12.5)));
        List<String> f = IoBench.figures(results, List.of("epoll", "io_uring", "linux-aio")).stream()
                .map(IoBench.Figure::line).toList();
        assertEquals(List.of(
                "figure io_randread_4k_qd1_fio_io_uring 20000 IOPS",
                "figure io_randread_4k_qd1_fio_libaio 16000 IOPS",
                "figure io_randread_4k_qd1_percore_epoll_threadpool 8000 IOPS",
                "figure io_randread_4k_qd1_percore_io_uring 19000 IOPS",
                "figure io_randread_4k_qd1_percore_epoll_threadpool_vs_fio_io_uring 0.400 x",
                "figure io_randread_4k_qd1_percore_epoll_threadpool_vs_fio_libaio 0.500 x",
                "figure io_randread_4k_qd1_percore_io_uring_vs_fio_io_uring 0.950 x",
                "figure io_seqwrite_128k_qd8_fio_libaio 1000 MiB/s",
                "figure io_seqwrite_128k_qd8_percore_linux_aio 950 MiB/s",
                "figure io_seqwrite_128k_qd8_percore_linux_aio_cpu_per_op 12.5 us",
                "figure io_seqwrite_128k_qd8_percore_linux_aio_vs_fio_libaio 0.950 x"), f);
        for (String line : f) {
            assertTrue(line.matches("figure [a-z0-9]+(_[a-z0-9]+)* [0-9.]+ \\S+"), line);
        }
    }

    @Test
    void figuresAreMediansOverRoundsAndRatiosArePairedWithinARound() {
        Map<String, List<IoBench.Measured>> results = new LinkedHashMap<>();
        // Round 2 was slow for both (a loaded machine); round 3 was a fluke for fio alone.
        results.put("randread_4k_qd8_fio_libaio", rounds(50000, 10000, 90000, 50000));
        results.put("randread_4k_qd8_percore_linux_aio", rounds(49000, 9800, 48000, 51000));
        Map<String, Double> f = new LinkedHashMap<>();
        for (IoBench.Figure x : IoBench.figures(results, List.of("linux-aio"))) {
            f.put(x.name(), x.value());
        }
        assertEquals(50000, f.get("io_randread_4k_qd8_fio_libaio"), 1e-9);
        assertEquals(48500, f.get("io_randread_4k_qd8_percore_linux_aio"), 1e-9);
        // Per-round ratios 0.98, 0.98, 0.533, 1.02: their median, not the ratio of the medians (0.97).
        assertEquals(0.98, f.get("io_randread_4k_qd8_percore_linux_aio_vs_fio_libaio"), 1e-9);
    }

    @Test
    void everyContenderLeadsInTurn() {
        List<String> c = List.of("a", "b", "c");
        assertEquals(List.of("a", "b", "c"), IoBench.rotation(c, 0));
        assertEquals(List.of("b", "c", "a"), IoBench.rotation(c, 1));
        assertEquals(List.of("c", "a", "b"), IoBench.rotation(c, 5));
    }

    @Test
    void unknownArgumentsPrintTheUsage() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertNull(IoBench.run(new String[] {"--fast"}, new PrintStream(out, true, StandardCharsets.UTF_8)));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("usage: percore bench io"));
        out.reset();
        assertNull(IoBench.run(new String[] {"--rounds", "0"}, new PrintStream(out, true, StandardCharsets.UTF_8)));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--rounds must be at least 1"), out.toString());
        out.reset();
        assertNull(IoBench.run(new String[] {"--points", "randread_4k_qd64"},
                new PrintStream(out, true, StandardCharsets.UTF_8)));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("no point 'randread_4k_qd64'"), out.toString());
        assertEquals(List.of("randread_4k_qd1", "seqwrite_128k_qd8"),
                IoBench.points("seqwrite_128k_qd8,randread_4k_qd1").stream().map(IoBench.Point::name).toList());
        out.reset();
        assertNull(IoBench.run(new String[] {"--cpu", "100000"}, new PrintStream(out, true, StandardCharsets.UTF_8)));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--cpu 100000"), out.toString());
    }
}
