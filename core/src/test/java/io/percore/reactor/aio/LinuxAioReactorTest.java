package io.percore.reactor.aio;

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
import io.percore.reactor.Readiness;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import io.percore.sys.Fd;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Whole shards on the linux-aio backend, chosen by name in the {@link ReactorConfig} as {@code --reactor-backend}
 * does. With no idle spinning every idle moment is a sleep in io_getevents, so timers, cross-shard messages and
 * readiness waits only make progress if the backend's sleep, wake-up and completions all work.
 */
@Timeout(60)
class LinuxAioReactorTest {
    private static final long BOUND_SECONDS = 15;
    private static Smp smp;

    @BeforeAll
    static void start() {
        ReactorConfig aio = new ReactorConfig(500_000L, 200_000L, false, 25_000_000L, "linux-aio", 64L << 20)
                .withIdlePoll(Duration.ZERO);
        smp = Smp.start(SmpConfig.of(2, aio), r -> { });
    }

    @AfterAll
    static void stop() {
        smp.stop();
    }

    private static <T> T on(int shard, java.util.function.Supplier<? extends Future<T>> work) throws Exception {
        return smp.submitExternal(shard, work).get(BOUND_SECONDS, TimeUnit.SECONDS);
    }

    @Test
    void everyShardRunsOnLinuxAio() throws Exception {
        for (int shard = 0; shard < 2; shard++) {
            ReactorBackend backend = on(shard, () -> Future.ready(Reactor.current().backend()));
            assertTrue(backend instanceof LinuxAioBackend, "shard " + shard + " runs on " + backend.name());
            assertEquals("linux-aio", on(shard, () -> Future.ready(Reactor.current().backendName())));
        }
    }

    @Test
    void aTimerFiresAfterItsDelayWhileTheShardSleeps() throws Exception {
        long sleepsBefore = on(0, () -> Future.ready(Reactor.current().sleeps()));
        long elapsed = on(0, () -> {
            long start = System.nanoTime();
            return Timer.sleep(Duration.ofMillis(50)).map(v -> System.nanoTime() - start);
        });
        assertTrue(elapsed >= 45_000_000L && elapsed < 5_000_000_000L, "a 50 ms timer fired after " + elapsed / 1_000_000 + " ms");
        long sleeps = on(0, () -> Future.ready(Reactor.current().sleeps())) - sleepsBefore;
        assertTrue(sleeps >= 1, "the shard never slept while the timer was pending");
    }

    @Test
    void pingPongBetweenSleepingShards() throws Exception {
        int roundTrips = 2_000;
        long sleeps0 = on(0, () -> Future.ready(Reactor.current().sleeps()));
        long sleeps1 = on(1, () -> Future.ready(Reactor.current().sleeps()));
        int[] count = {0};
        long start = System.nanoTime();
        int done = on(0, () -> Futures.repeat(() ->
                Smp.submitTo(1, () -> Future.ready(Shard.currentId()))
                        .map(from -> {
                            assertEquals(1, from);
                            return ++count[0] == roundTrips;
                        })).map(v -> count[0]));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(roundTrips, done);
        long slept0 = on(0, () -> Future.ready(Reactor.current().sleeps())) - sleeps0;
        long slept1 = on(1, () -> Future.ready(Reactor.current().sleeps())) - sleeps1;
        System.out.printf("linux-aio: %,d ping-pongs between sleeping shards in %d ms; shard 0 slept %,d times, shard 1 %,d%n",
                roundTrips, millis, slept0, slept1);
        // Each side waits for the other on nearly every exchange: most of them must have gone through a sleep
        // ended by the other shard's wake-up (a POLL completion on the eventfd).
        assertTrue(slept0 >= roundTrips / 10, "shard 0 slept only " + slept0 + " times");
        assertTrue(slept1 >= roundTrips / 10, "shard 1 slept only " + slept1 + " times");
    }

    @Test
    void aReadinessWaitEndsTheSleepOfItsShardWhenAnotherShardWrites() throws Exception {
        int[] p = Fd.pipe2(Fd.O_NONBLOCK | Fd.O_CLOEXEC);
        try {
            int revents = on(0, () -> {
                PollableFd r = new PollableFd(p[0]);
                Future<Integer> readable = Reactor.current().backend().pollReady(r, Readiness.IN);
                // Shard 1 writes a little later, while shard 0 sleeps with nothing else to do.
                return Smp.submitTo(1, () -> Timer.sleep(Duration.ofMillis(20)).map(v -> {
                            MemorySegment one = Arena.ofAuto().allocate(1);
                            return Fd.write(p[1], one, 1);
                        }))
                        .flatMap(written -> readable)
                        .finallyDo(() -> Reactor.current().backend().forget(r));
            });
            assertEquals(Readiness.IN, revents);
        } finally {
            Fd.close(p[0]);
            Fd.close(p[1]);
        }
    }
}
