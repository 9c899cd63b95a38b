package io.percore.reactor.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Reactor;
import io.percore.core.ReactorConfig;
import io.percore.core.Shard;
import io.percore.core.Timer;
import io.percore.reactor.PollableFd;
import io.percore.reactor.ReactorBackend;
import io.percore.reactor.SocketOps;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import io.percore.sys.Fd;
import io.percore.sys.SocketPair;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The reactor loop running on io_uring: timers, cross-shard wake-ups, and socket completions as tasks. */
class IoUringReactorTest {
    private static final long BOUND_SECONDS = 15;

    /** The defaults, with the io_uring backend. */
    private static ReactorConfig uring(ReactorConfig base) {
        return new ReactorConfig(base.taskQuotaNanos(), base.idlePollNanos(), base.pollMode(),
                base.blockedNotifyNanos(), "io_uring", base.memoryPerShard());
    }

    private static <T> T on(Smp smp, int shard, Supplier<? extends Future<T>> work) throws Exception {
        return smp.submitExternal(shard, work).get(BOUND_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void oneShardRunsTimersOnTheRing() throws Exception {
        // No idle spin: the shard must sleep in io_uring_enter until each deadline (with the default 200 µs spin, a
        // shard descheduled on a loaded machine could reach both deadlines without ever going to sleep).
        ReactorConfig sleepy = uring(ReactorConfig.defaults()).withIdlePoll(Duration.ZERO);
        Smp smp = Smp.start(SmpConfig.of(1, sleepy), r -> { });
        try {
            assertEquals("io_uring", on(smp, 0, () -> Future.ready(Reactor.current().backendName())));
            long sleepsBefore = on(smp, 0, () -> Future.ready(Reactor.current().sleeps()));
            long start = System.nanoTime();
            long[] order = new long[2];
            on(smp, 0, () -> Futures.whenAll(
                    Timer.sleep(Duration.ofMillis(60)).map(v -> order[1] = System.nanoTime()),
                    Timer.sleep(Duration.ofMillis(20)).map(v -> order[0] = System.nanoTime())));
            long elapsed = System.nanoTime() - start;
            assertTrue(elapsed >= 60_000_000L, "timers fired early: " + elapsed + " ns");
            assertTrue(order[0] < order[1], "timers fire in deadline order");
            long slept = on(smp, 0, () -> Future.ready(Reactor.current().sleeps())) - sleepsBefore;
            assertTrue(slept >= 1, "the shard waited for its timers asleep in io_uring_enter");
        } finally {
            smp.stop();
        }
    }

    @Test
    void twoShardsWakeEachOtherThroughTheRing() throws Exception {
        // No idle spinning: every message must wake a shard asleep in io_uring_enter.
        ReactorConfig sleepy = uring(ReactorConfig.defaults()).withIdlePoll(Duration.ZERO);
        Smp smp = Smp.start(SmpConfig.of(2, sleepy), r -> { });
        try {
            long sleeps1 = on(smp, 1, () -> Future.ready(Reactor.current().sleeps()));
            int rounds = 2000;
            int[] count = {0};
            int done = on(smp, 0, () -> Futures.repeat(() ->
                    Smp.submitTo(1, () -> Future.ready(Shard.currentId()))
                            .map(from -> {
                                assertEquals(1, from);
                                return ++count[0] == rounds;
                            })).map(v -> count[0]));
            assertEquals(rounds, done);
            long slept1 = on(smp, 1, () -> Future.ready(Reactor.current().sleeps())) - sleeps1;
            assertTrue(slept1 >= rounds / 10, "shard 1 slept only " + slept1 + " times: the wake path was not used");
        } finally {
            smp.stop();
        }
    }

    @Test
    void twoShardsWithTheDefaultConfigPassTimerAndCrossShardWork() throws Exception {
        Smp smp = Smp.start(SmpConfig.of(2, uring(ReactorConfig.defaults())), r -> { });
        try {
            int v = on(smp, 0, () -> Smp.submitTo(1, () -> Timer.sleep(Duration.ofMillis(30))
                    .map(x -> 41)).map(x -> x + 1));
            assertEquals(42, v);
        } finally {
            smp.stop();
        }
    }

    @Test
    void socketCompletionsRunTheirContinuationsOnTheShard() throws Exception {
        Smp smp = Smp.start(SmpConfig.of(1, uring(ReactorConfig.defaults())), r -> { });
        try {
            String result = on(smp, 0, () -> {
                ReactorBackend backend = Reactor.current().backend();
                SocketOps ops = backend.socketOps();
                int[] pair = SocketPair.unix(SocketPair.SOCK_STREAM);
                PollableFd a = new PollableFd(pair[0]);
                PollableFd b = new PollableFd(pair[1]);
                Arena arena = Arena.ofShared();
                MemorySegment in = arena.allocate(16);
                MemorySegment out = arena.allocate(3);
                out.copyFrom(MemorySegment.ofArray(new byte[] {'a', 'b', 'c'}));
                Future<Integer> recv = ops.recv(b, in, 0);
                // Sent after a timer, so the receive really waits in the kernel first.
                return Timer.sleep(Duration.ofMillis(10))
                        .flatMap(x -> ops.send(a, out, 0))
                        .flatMap(sent -> recv)
                        .map(n -> "shard " + Shard.currentId() + " got " + n)
                        .finallyDo(() -> {
                            backend.forget(a);
                            backend.forget(b);
                            Fd.close(pair[0]);
                            Fd.close(pair[1]);
                            arena.close();
                        });
            });
            assertEquals("shard 0 got 3", result);
        } finally {
            smp.stop();
        }
    }
}
