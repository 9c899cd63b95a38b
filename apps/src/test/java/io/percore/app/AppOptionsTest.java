package io.percore.app;

import io.percore.reactor.ReactorBackends;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.smp.SmpConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Parsing and resolving the standard options, without starting any shard. */
class AppOptionsTest {
    private static final List<Integer> FOUR_CPUS = List.of(0, 1, 2, 3);
    private static final long EIGHT_GIB = 8L << 30;

    private static AppOptions parse(String... args) {
        AppTemplate t = AppTemplate.builder("test")
                .output(new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()))
                .build();
        assertTrue(t.parse(args), "parse should ask to run");
        return t.options();
    }

    private static SmpConfig resolve(String... args) {
        return parse(args).resolve(FOUR_CPUS, EIGHT_GIB);
    }

    private static String usageError(String... args) {
        AppTemplate t = AppTemplate.builder("test").build();
        return assertThrows(AppTemplate.UsageException.class, () -> t.parse(args)).getMessage();
    }

    private static String resolveError(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> resolve(args)).getMessage();
    }

    @Test
    void defaultsAreSeastars() {
        AppOptions o = parse();
        assertTrue(o.smp().isEmpty());
        assertTrue(o.cpuset().isEmpty());
        assertTrue(o.memory().isEmpty());
        assertEquals(ReactorBackends.defaultName(), o.reactorBackend());
        assertEquals(0.5, o.taskQuotaMs());
        assertEquals(200, o.idlePollTimeUs());
        assertFalse(o.pollMode());
        assertFalse(o.overprovisioned());
        assertEquals(25, o.blockedReactorNotifyMs());

        SmpConfig c = o.resolve(FOUR_CPUS, EIGHT_GIB);
        assertEquals(List.of(0, 1, 2, 3), c.cpus(), "one shard per allowed CPU");
        assertTrue(c.pin());
        assertEquals(500_000, c.reactor().taskQuotaNanos());
        assertEquals(200_000, c.reactor().idlePollNanos());
        assertEquals(25_000_000, c.reactor().blockedNotifyNanos());
        assertFalse(c.reactor().pollMode());
        assertEquals(ReactorBackends.defaultName(), c.reactor().backend());
        assertEquals((EIGHT_GIB / 2) / 4, c.reactor().memoryPerShard(), "half the memory, divided by 4 shards");
    }

    @Test
    void everyOptionIsRead() {
        AppOptions o = parse("--smp", "3", "--cpuset", "0-2", "--memory", "3G", "--reactor-backend", "epoll",
                "--task-quota-ms", "2.5", "--idle-poll-time-us", "50", "--poll-mode", "--overprovisioned",
                "--blocked-reactor-notify-ms", "100");
        assertEquals(3, o.smp().getAsInt());
        assertEquals(List.of(0, 1, 2), o.cpuset().orElseThrow());
        assertEquals(3L << 30, o.memory().getAsLong());
        assertEquals(2.5, o.taskQuotaMs());
        assertEquals(50, o.idlePollTimeUs());
        assertTrue(o.pollMode());
        assertTrue(o.overprovisioned());
        assertEquals(100, o.blockedReactorNotifyMs());

        SmpConfig c = o.resolve(FOUR_CPUS, EIGHT_GIB);
        assertEquals(List.of(0, 1, 2), c.cpus());
        assertFalse(c.pin(), "--overprovisioned does not pin");
        assertEquals(2_500_000, c.reactor().taskQuotaNanos());
        assertEquals(50_000, c.reactor().idlePollNanos());
        assertTrue(c.reactor().pollMode());
        assertEquals(100_000_000, c.reactor().blockedNotifyNanos());
        assertEquals(1L << 30, c.reactor().memoryPerShard());
    }

    @Test
    void equalsFormAndOptionOrderWork() {
        SmpConfig c = resolve("--memory=1G", "--smp=2");
        assertEquals(List.of(0, 1), c.cpus());
        assertEquals(512L << 20, c.reactor().memoryPerShard());
    }

    // ------------------------------------------------------------ --cpuset and --smp

    @Test
    void smpTakesTheFirstAllowedCpus() {
        assertEquals(List.of(0, 1), resolve("--smp", "2").cpus());
        assertEquals(List.of(0), resolve("--smp", "1").cpus());
    }

    @Test
    void cpusetAloneGivesOneShardPerListedCpu() {
        assertEquals(List.of(1, 3), resolve("--cpuset", "3,1").cpus());
        assertEquals(List.of(1, 2, 3), resolve("--cpuset", "1-3").cpus());
    }

    @Test
    void smpWithCpusetTakesTheFirstNOfTheSet() {
        assertEquals(List.of(1, 2), resolve("--cpuset", "1-3", "--smp", "2").cpus());
        assertEquals(List.of(2), resolve("--smp", "1", "--cpuset", "2,3").cpus());
    }

    @Test
    void cpuOutsideTheAllowedSetIsAnError() {
        String m = resolveError("--cpuset", "2-5");
        assertTrue(m.contains("CPU 4") && m.contains("0-3"), m);
    }

    @Test
    void moreShardsThanCpusNeedsOverprovisioned() {
        String m = resolveError("--smp", "5");
        assertTrue(m.contains("--overprovisioned") && m.contains("0-3"), m);
        String m2 = resolveError("--cpuset", "0-1", "--smp", "3");
        assertTrue(m2.contains("--cpuset has 2"), m2);

        SmpConfig c = resolve("--smp", "6", "--overprovisioned");
        assertEquals(List.of(0, 1, 2, 3, 0, 1), c.cpus(), "shards share the CPUs round-robin");
        assertFalse(c.pin());
        assertEquals(0, c.reactor().idlePollNanos(), "overprovisioned shards sleep at once when idle");
    }

    @Test
    void smpMustBePositive() {
        assertTrue(resolveError("--smp", "0").contains("at least 1"));
        assertTrue(resolveError("--smp", "-2").contains("at least 1"));
    }

    // ------------------------------------------------------------ --memory

    @ParameterizedTest
    @CsvSource({
            "512M, 2, 268435456",
            "4G, 4, 1073741824",
            "1.5G, 3, 536870912",
            "3G, 4, 805306368",
            "100M, 3, 34952533",   // 104857600 / 3, rounded down
    })
    void memoryIsDividedAmongTheShards(String memory, int shards, long perShard) {
        SmpConfig c = resolve("--memory", memory, "--smp", Integer.toString(shards), "--overprovisioned");
        assertEquals(perShard, c.reactor().memoryPerShard());
    }

    @Test
    void defaultMemoryIsHalfOfPhysicalMemory() {
        SmpConfig c = parse("--smp", "2").resolve(FOUR_CPUS, 6L << 30);
        assertEquals(3L << 30 >> 1, c.reactor().memoryPerShard());
    }

    @Test
    void tooLittleMemoryPerShardIsAnError() {
        String m = resolveError("--memory", "3M", "--smp", "4");
        assertTrue(m.contains("too little") && m.contains("4 shard"), m);
    }

    @ParameterizedTest
    @CsvSource({
            "65536, 65536",
            "64k, 65536",
            "64K, 65536",
            "512M, 536870912",
            "512MiB, 536870912",
            "512MB, 536870912",
            "4G, 4294967296",
            "4g, 4294967296",
            "1.5G, 1610612736",
            "1T, 1099511627776",
    })
    void sizesParse(String text, long bytes) {
        assertEquals(bytes, Sizes.parse(text));
    }

    @ParameterizedTest
    @CsvSource({"''", "abc", "12X", "0", "0M", "-5M", "1..5G", "99999999999T"})
    void badSizesAreRejected(String text) {
        assertThrows(IllegalArgumentException.class, () -> Sizes.parse(text));
    }

    @Test
    void sizesFormat() {
        assertEquals("512M", Sizes.format(512L << 20));
        assertEquals("1.5G", Sizes.format(3L << 29));
        assertEquals("100", Sizes.format(100));
        assertEquals("4K", Sizes.format(4096));
    }

    // ------------------------------------------------------------ the other reactor options

    @Test
    void taskQuotaMustBePositive() {
        assertTrue(resolveError("--task-quota-ms", "0").contains("--task-quota-ms"));
        assertTrue(resolveError("--task-quota-ms", "-1").contains("--task-quota-ms"));
        assertTrue(resolveError("--task-quota-ms", "NaN").contains("--task-quota-ms"));
        assertEquals(100_000, resolve("--task-quota-ms", "0.1").reactor().taskQuotaNanos());
    }

    @Test
    void idlePollAndBlockedNotifyAreChecked() {
        assertTrue(resolveError("--idle-poll-time-us", "-1").contains("--idle-poll-time-us"));
        assertTrue(resolveError("--blocked-reactor-notify-ms", "0").contains("--blocked-reactor-notify-ms"));
        assertEquals(0, resolve("--idle-poll-time-us", "0").reactor().idlePollNanos());
        assertEquals(70_000, resolve("--overprovisioned", "--idle-poll-time-us", "70").reactor().idlePollNanos(),
                "an explicit idle poll time wins over --overprovisioned's default");
    }

    // ------------------------------------------------------------ malformed command lines

    @Test
    void unknownOptionSaysSoAndSuggests() {
        assertEquals("unknown option '--smpp', did you mean '--smp'?", usageError("--smpp", "3"));
        assertEquals("unknown option '--frobnicate'", usageError("--frobnicate=1"));
    }

    @Test
    void strayArgumentIsRejected() {
        assertEquals("unexpected argument 'extra'", usageError("extra"));
    }

    @Test
    void malformedValuesNameTheOption() {
        assertTrue(usageError("--smp", "two").contains("--smp"));
        assertTrue(usageError("--smp").contains("--smp"), "missing value");
        assertTrue(usageError("--memory", "12X").contains("unknown unit"));
        assertTrue(usageError("--cpuset", "3-1").contains("bad CPU range"));
        assertTrue(usageError("--task-quota-ms", "fast").contains("--task-quota-ms"));
        String backend = usageError("--reactor-backend", "kqueue");
        assertTrue(backend.contains("kqueue") && backend.contains("available: io_uring, linux-aio, epoll"), backend);
    }

    @Test
    void everyUsageErrorIsOneLine() {
        for (String[] args : new String[][]{{"--smpp"}, {"--smp", "x"}, {"--memory"}, {"--cpuset", "a"},
                {"--reactor-backend", "x"}, {"--smp", "1", "--smp", "2"}, {"--poll-mode=maybe"}}) {
            String m = usageError(args);
            assertFalse(m.isBlank());
            assertFalse(m.contains("\n"), m);
            assertFalse(m.contains("Exception"), m);
        }
    }

    @Test
    void helpAndVersionDoNotRun() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AppTemplate t = AppTemplate.builder("percore test").output(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream())).build();
        assertFalse(t.parse("--help"));
        String help = out.toString(StandardCharsets.UTF_8);
        for (String option : List.of("--smp", "--cpuset", "--memory", "--reactor-backend", "--task-quota-ms",
                "--idle-poll-time-us", "--poll-mode", "--overprovisioned", "--blocked-reactor-notify-ms", "--help",
                "--version")) {
            assertTrue(help.contains(option), option + " missing from:\n" + help);
        }
        assertTrue(help.contains("Usage: percore test"), help);
        assertTrue(help.contains("Default: 0.5"), "defaults are shown:\n" + help);
        assertTrue(help.contains("Reactor backend: io_uring"), help);

        out.reset();
        AppTemplate v = AppTemplate.builder("percore test").output(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream())).build();
        assertFalse(v.parse("--version"));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("percore "), out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void formatCpusCompressesRuns() {
        assertEquals("0-3,8,10-11", AppOptions.formatCpus(List.of(0, 1, 2, 3, 8, 10, 11)));
        assertEquals("5", AppOptions.formatCpus(List.of(5)));
    }
}
