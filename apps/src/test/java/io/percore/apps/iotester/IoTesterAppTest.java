package io.percore.apps.iotester;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * io_tester in-process on two shards with small files on the disk: a command-line job and a JSON workload of three
 * classes, checked for a row per shard, totals, summary lines with figures that add up, shares that show in the
 * bandwidth, and files cleaned up; usage errors exit 2 with one line.
 */
class IoTesterAppTest {
    private static final Pattern SUMMARY = Pattern.compile("summary (\\S+) iops=([0-9.]+) bandwidth_mib_s=([0-9.]+) "
            + "p50_us=([0-9.]+) p95_us=([0-9.]+) p99_us=([0-9.]+) p999_us=([0-9.]+) max_us=([0-9.]+) "
            + "cpu_us_per_op=([0-9.]+)");

    private static Path storage() throws Exception {
        Path base = Path.of("target", "io-tester-tests").toAbsolutePath();
        Files.createDirectories(base);
        return Files.createTempDirectory(base, "run");
    }

    /** @return what the run printed: stdout, or stderr when it exits 2 (a usage error). */
    private static String run(int expectedCode, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = IoTesterApp.run("percore io_tester", args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
        String text = out.toString(StandardCharsets.UTF_8);
        String errors = err.toString(StandardCharsets.UTF_8);
        assertEquals(expectedCode, code, text + errors);
        return expectedCode == 2 ? errors : text;
    }

    @Test
    void aCommandLineJobReportsEveryShardAndTheTotal() throws Exception {
        Path dir = storage();
        String out = run(0, "--smp", "2", "--storage", dir.toString(), "--file-size", "8M", "--duration", "400ms",
                "--warmup", "100ms", "--type", "randread", "--reqsize", "4k", "--parallelism", "4", "--name", "reads");
        assertTrue(out.contains("job reads: randread, 4K requests, 4 in flight per shard, 100 shares"), out);
        assertTrue(out.contains("file I/O by "), out);
        assertTrue(Pattern.compile("(?m)^  0 +[0-9.]+ ").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^  1 +[0-9.]+ ").matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^  all +[0-9.]+ ").matcher(out).find(), out);
        Matcher m = SUMMARY.matcher(out);
        assertTrue(m.find(), out);
        double iops = Double.parseDouble(m.group(2));
        double mib = Double.parseDouble(m.group(3));
        assertTrue(iops > 0, out);
        assertEquals(iops * 4096 / (1 << 20), mib, mib * 0.01 + 0.01, "bandwidth = IOPS x request size");
        double p50 = Double.parseDouble(m.group(4));
        double p99 = Double.parseDouble(m.group(6));
        double max = Double.parseDouble(m.group(8));
        assertTrue(p50 > 0 && p50 <= p99 && p99 <= max, out);
        // Each request costs the shard some CPU; far less than the 400 ms window over every request done in it.
        double cpu = Double.parseDouble(m.group(9));
        assertTrue(cpu > 0 && cpu < 400_000.0 / (iops * 0.4) * 3, out);
        assertTrue(Pattern.compile("(?m)^shard 0: thread CPU [0-9.]+% of the window, [0-9.]+ us per request")
                .matcher(out).find(), out);
        assertTrue(Pattern.compile("(?m)^shard 1: thread CPU ").matcher(out).find(), out);
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList(), "the per-shard files are removed");
        }
    }

    @Test
    void aJsonWorkloadRunsEachJobInItsClass() throws Exception {
        Path dir = storage();
        Path conf = dir.resolve("workload.json");
        Files.writeString(conf, """
                {"jobs": [
                  {"name": "low", "type": "randread", "reqsize": "64k", "parallelism": 16, "shares": 100},
                  {"name": "high", "type": "randread", "reqsize": "64k", "parallelism": 16, "shares": 400},
                  {"name": "log", "type": "seqwrite", "shards": [1], "shard_info": {"reqsize": "128k", "parallelism": 2}}
                ]}""");
        String out = run(0, "--smp", "2", "--storage", dir.toString(), "--conf", conf.toString(), "--file-size", "32M",
                "--duration", "1s", "--warmup", "200ms", "--max-in-flight", "4", "--keep-files");
        Matcher m = SUMMARY.matcher(out);
        double low = 0;
        double high = 0;
        int jobs = 0;
        while (m.find()) {
            jobs++;
            switch (m.group(1)) {
                case "low" -> low = Double.parseDouble(m.group(3));
                case "high" -> high = Double.parseDouble(m.group(3));
                case "log" -> assertTrue(Double.parseDouble(m.group(3)) > 0, out);
                default -> throw new AssertionError("unexpected job " + m.group(1));
            }
        }
        assertEquals(3, jobs, out);
        // Both read classes keep 16 requests waiting per shard while 4 may be in flight: shares decide. Loose bound.
        assertTrue(high > 2 * low, "high " + high + " vs low " + low + "\n" + out);
        assertTrue(out.contains("job log: seqwrite, 128K requests, 2 in flight per shard"), out);
        assertTrue(Files.exists(dir.resolve("io_tester-log-shard1.dat")), "--keep-files keeps them");
        assertTrue(!Files.exists(dir.resolve("io_tester-log-shard0.dat")), "log runs on shard 1 only");
    }

    @Test
    void cpuPerRequestCountsEveryJobOfTheShardsAJobRanOn() {
        JobSpec a = new JobSpec("a", JobSpec.Type.RANDREAD, 4096, 1, 100, 1 << 20, List.of(), null);
        JobSpec b = new JobSpec("b", JobSpec.Type.SEQWRITE, 4096, 1, 100, 1 << 20, List.of(), null);
        org.HdrHistogram.Histogram h = new org.HdrHistogram.Histogram(3);
        // Shard 0 ran a (300 requests) and b (100) on 2 ms of CPU; shard 1 ran a alone, 100 requests on 1 ms.
        ShardJob.ShardResult a0 = new ShardJob.ShardResult(a, 0, 300, 0, 1, h, "e", "", 2_000_000);
        ShardJob.ShardResult b0 = new ShardJob.ShardResult(b, 0, 100, 0, 1, h, "e", "", 2_000_000);
        ShardJob.ShardResult a1 = new ShardJob.ShardResult(a, 1, 100, 0, 1, h, "e", "", 1_000_000);
        List<List<ShardJob.ShardResult>> perShard = List.of(List.of(a0, b0), List.of(a1));
        assertEquals(3000.0 / 500, IoTesterApp.Report.cpuMicrosPerOp(List.of(a0, a1), perShard), 1e-9);
        assertEquals(2000.0 / 400, IoTesterApp.Report.cpuMicrosPerOp(List.of(b0), perShard), 1e-9);
        String lines = IoTesterApp.Report.cpuLines(perShard);
        assertTrue(lines.contains("shard 0: thread CPU 0.2% of the window, 5.00 us per request"), lines);
        assertTrue(lines.contains("shard 1: thread CPU 0.1% of the window, 10.00 us per request"), lines);
    }

    @Test
    void usageErrorsExitTwoWithOneLine() throws Exception {
        Path dir = storage();
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"jobs\": [{\"type\": \"randrw\"}]}");
        String out = run(2, "--smp", "1", "--storage", dir.toString(), "--conf", bad.toString());
        assertTrue(out.startsWith("io_tester: " + bad + ": job 'job1': unknown job type 'randrw'"), out);
        assertTrue(run(2, "--smp", "1", "--type", "sideways").contains("unknown job type 'sideways'"));
        assertEquals(Duration.ofMillis(1500), IoTesterApp.parseDuration("1.5s"));
        assertEquals(Duration.ofMillis(250), IoTesterApp.parseDuration("250ms"));
        assertEquals(Duration.ofMinutes(2), IoTesterApp.parseDuration("2m"));
        assertEquals(Duration.ofSeconds(3), IoTesterApp.parseDuration("3"));
    }
}
