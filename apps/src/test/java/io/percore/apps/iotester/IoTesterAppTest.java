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
            + "p50_us=([0-9.]+) p95_us=([0-9.]+) p99_us=([0-9.]+) p999_us=([0-9.]+) max_us=([0-9.]+)");

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
