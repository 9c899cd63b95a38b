package io.percore.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Shard;
import io.percore.smp.CpuSet;
import io.percore.smp.Smp;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.Option;

/** Whole runs of {@link AppTemplate#runForExitCode}: shards start, the program runs on shard 0, everything stops. */
class AppTemplateTest {
    /** Two shards on any machine: pinned where there are two CPUs, sharing one otherwise. */
    private static final String[] TWO_SHARDS = CpuSet.allowed().size() >= 2
            ? new String[]{"--smp", "2", "--memory", "64M"}
            : new String[]{"--smp", "2", "--memory", "64M", "--overprovisioned"};

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private AppTemplate.Builder template(String name) {
        return AppTemplate.builder(name).handleSignals(false)
                .output(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private static final Function<AppContext, Future<Integer>> MUST_NOT_RUN = ctx -> {
        throw new AssertionError("the program must not run");
    };

    @Test
    void programRunsOnShardZeroAndItsCodeIsTheExitCode() {
        AtomicReference<String> seen = new AtomicReference<>();
        int code = template("t").runForExitCode(TWO_SHARDS, ctx -> {
            seen.set(Thread.currentThread().getName() + " of " + ctx.smp().config().shards() + " / " + ctx.name());
            return Smp.submitTo(1, () -> Future.ready(Shard.currentId())).map(id -> 40 + id + 1);
        });
        assertEquals(42, code);
        assertEquals("shard-0 of 2 / t", seen.get());
        assertNull(Smp.current(), "the shards are stopped when runForExitCode returns");
    }

    @Test
    void memoryIsDividedAmongTheRunningShards() {
        AtomicReference<Long> perShard = new AtomicReference<>();
        assertEquals(0, template("t").runForExitCode(TWO_SHARDS, ctx -> {
            perShard.set(ctx.smp().config().reactor().memoryPerShard());
            return Future.ready(0);
        }));
        assertEquals(32L << 20, perShard.get());
    }

    @Test
    void cpusetAndSmpPinTheShards() {
        List<Integer> allowed = CpuSet.allowed();
        int last = allowed.get(allowed.size() - 1);
        AtomicReference<String> where = new AtomicReference<>();
        int code = template("t").runForExitCode(new String[]{"--cpuset", Integer.toString(last), "--smp", "1"},
                ctx -> {
                    where.set(ctx.smp().config().shards() + " shard on CPU " + Shard.current().cpu());
                    return Future.ready(0);
                });
        assertEquals(0, code);
        assertEquals("1 shard on CPU " + last, where.get());
    }

    @Test
    void nullCodeCountsAsZero() {
        assertEquals(0, template("t").runForExitCode(new String[]{"--smp", "1"}, ctx -> Future.ready(null)));
    }

    @Test
    void failedProgramExitsOne() {
        assertEquals(1, template("t").runForExitCode(new String[]{"--smp", "1"},
                ctx -> Future.failed(new IllegalStateException("expected by the test"))));
        assertEquals(1, template("t").runForExitCode(new String[]{"--smp", "1"}, ctx -> {
            throw new IllegalStateException("expected by the test: thrown, not returned");
        }));
        assertNull(Smp.current());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--smpp 2", "--smp two", "--memory 5X", "--cpuset 1-0", "--reactor-backend kqueue",
            "stray", "--smp", "--cpuset 65000", "--smp 1 --memory 100K", "--task-quota-ms 0"})
    void badCommandLinesExitTwoWithOneLine(String line) {
        int code = template("percore t").runForExitCode(line.split(" "), MUST_NOT_RUN);
        assertEquals(AppTemplate.EXIT_USAGE, code);
        String e = err();
        assertTrue(e.startsWith("percore t: "), e);
        assertTrue(e.endsWith("\n") && e.indexOf('\n') == e.length() - 1, "exactly one line: " + e);
        assertFalse(e.contains("Exception") || e.contains("\tat "), e);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        assertNull(Smp.current(), "no shard starts for a bad command line");
    }

    @Test
    void helpAndVersionExitZeroWithoutRunning() {
        assertEquals(0, template("percore t").runForExitCode(new String[]{"--help"}, MUST_NOT_RUN));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--smp=N"), out.toString(StandardCharsets.UTF_8));
        out.reset();
        assertEquals(0, template("percore t").runForExitCode(new String[]{"--version"}, MUST_NOT_RUN));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("JDK 25"), out.toString(StandardCharsets.UTF_8));
        assertEquals("", err());
    }

    /** A program's own options, as an app would declare them. */
    static final class GreeterOptions {
        @Option(names = "--greeting", paramLabel = "WORD", defaultValue = "hello", description = "What to say.")
        String greeting;

        @Option(names = "--times", paramLabel = "N", defaultValue = "1", description = "How often.")
        int times;
    }

    @Test
    void programOptionsAreFilledAndListed() {
        GreeterOptions mine = new GreeterOptions();
        AtomicReference<String> said = new AtomicReference<>();
        int code = template("greeter").options(mine).runForExitCode(
                new String[]{"--smp", "1", "--greeting", "hi", "--times", "3"}, ctx -> {
                    GreeterOptions o = ctx.options(GreeterOptions.class);
                    said.set(o.greeting.repeat(o.times));
                    return Future.ready(0);
                });
        assertEquals(0, code);
        assertEquals("hihihi", said.get());

        assertEquals(0, template("greeter").options(new GreeterOptions()).runForExitCode(new String[]{"--help"}, MUST_NOT_RUN));
        String help = out.toString(StandardCharsets.UTF_8);
        assertTrue(help.contains("--greeting=WORD") && help.contains("--smp=N"), help);

        assertEquals(2, template("greeter").options(new GreeterOptions())
                .runForExitCode(new String[]{"--times", "many"}, MUST_NOT_RUN));
        assertTrue(err().contains("--times"), err());
    }

    @Test
    void requestStopCompletesStopRequestedOnShardZero() throws Exception {
        AppTemplate t = template("t").build();
        CompletableFuture<Void> waiting = new CompletableFuture<>();
        AtomicReference<String> stoppedOn = new AtomicReference<>();
        CompletableFuture<Integer> code = CompletableFuture.supplyAsync(() -> t.runForExitCode(TWO_SHARDS, ctx -> {
            Future<Void> a = ctx.stopRequested();
            Future<Void> b = ctx.stopRequested(); // a second waiter gets its own future
            waiting.complete(null);
            return a.then(() -> b).map(v -> {
                stoppedOn.set(Thread.currentThread().getName() + " " + ctx.isStopRequested());
                return 0;
            });
        }));
        waiting.get(10, TimeUnit.SECONDS);
        Thread.sleep(50);
        assertFalse(code.isDone(), "the program waits for the stop request");
        t.requestStop();
        assertEquals(0, code.get(10, TimeUnit.SECONDS));
        assertEquals("shard-0 true", stoppedOn.get());
    }

    @Test
    void stopRequestedBeforeTheProgramStartsIsNotLost() {
        AppTemplate t = template("t").build();
        t.requestStop();
        assertEquals(5, t.runForExitCode(new String[]{"--smp", "1"},
                ctx -> ctx.stopRequested().map(v -> ctx.isStopRequested() ? 5 : 6)));
    }

    @Test
    void programThatIgnoresStopIsCutOffAfterTheBound() throws Exception {
        AppTemplate t = template("t").stopTimeout(Duration.ofMillis(300)).build();
        CompletableFuture<Void> started = new CompletableFuture<>();
        CompletableFuture<Integer> code = CompletableFuture.supplyAsync(() -> t.runForExitCode(new String[]{"--smp", "1"},
                ctx -> {
                    started.complete(null);
                    return new Promise<>(); // never completes
                }));
        started.get(10, TimeUnit.SECONDS);
        long t0 = System.nanoTime();
        t.requestStop();
        assertEquals(AppTemplate.EXIT_FAILURE, code.get(10, TimeUnit.SECONDS));
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(tookMs >= 250 && tookMs < 5_000, "stopped after " + tookMs + " ms");
        assertNull(Smp.current());
    }

    @Test
    void stopRequestedIsShardZeros() {
        AtomicBoolean threw = new AtomicBoolean();
        assertEquals(0, template("t").runForExitCode(TWO_SHARDS, ctx ->
                Smp.submitTo(1, () -> {
                    try {
                        ctx.stopRequested();
                    } catch (IllegalStateException e) {
                        threw.set(true);
                    }
                    return Future.ready(0);
                })));
        assertTrue(threw.get(), "stopRequested() from shard 1 must be refused");
    }

    @Test
    void aTemplateRunsOnce() {
        AppTemplate t = template("t").build();
        assertEquals(0, t.runForExitCode(new String[]{"--smp", "1"}, ctx -> Future.ready(0)));
        assertThrows(IllegalStateException.class, () -> t.runForExitCode(new String[0], MUST_NOT_RUN));
    }

    @Test
    void shardsThatCannotStartExitOne() {
        // A backend is validated at parse time, so provoke a start failure the other way: a second Smp.
        Smp other = Smp.start(io.percore.smp.SmpConfig.of(1, io.percore.core.ReactorConfig.defaults()), r -> {});
        try {
            assertEquals(AppTemplate.EXIT_FAILURE,
                    template("t").runForExitCode(new String[]{"--smp", "1"}, MUST_NOT_RUN));
        } finally {
            other.stop();
        }
    }
}
