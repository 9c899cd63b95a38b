package io.percore.smp;

import static io.percore.smp.SmpTesting.on;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Reactor;
import io.percore.core.ReactorConfig;
import io.percore.core.Shard;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sleep/wake-up protocol between shards. With no idle spinning, a shard with nothing to do goes to sleep in
 * its backend with no timeout (no timers are armed), so each message must wake it: a single lost wake-up hangs
 * the exchange, and the test fails on its deadline instead of finishing in about a second.
 */
class SmpWakeupTest {
    private static final int ROUND_TRIPS = 10_000;
    /** About 10x what a loaded 2-core machine needs; a lost wake-up never finishes at all. */
    private static final long BOUND_SECONDS = 15;

    private Smp smp;

    @BeforeEach
    void start() {
        ReactorConfig sleepy = ReactorConfig.defaults().withIdlePoll(Duration.ZERO);
        smp = Smp.start(SmpConfig.of(2, sleepy), r -> { });
    }

    @AfterEach
    void stop() {
        smp.stop();
    }

    private long sleeps(int shard) throws Exception {
        return on(smp, shard, () -> Future.ready(Reactor.current().sleeps()));
    }

    @Test
    void pingPongBetweenSleepingShardsNeverLosesAWakeup() throws Exception {
        long sleeps0 = sleeps(0);
        long sleeps1 = sleeps(1);
        long start = System.nanoTime();
        int[] count = {0};
        int done = smp.submitExternal(0, () -> Futures.repeat(() ->
                Smp.submitTo(1, () -> Future.ready(Shard.currentId()))
                        .map(from -> {
                            assertEquals(1, from);
                            return ++count[0] == ROUND_TRIPS;
                        })).map(v -> count[0]))
                .get(BOUND_SECONDS, TimeUnit.SECONDS);
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(ROUND_TRIPS, done);
        long slept0 = sleeps(0) - sleeps0;
        long slept1 = sleeps(1) - sleeps1;
        System.out.printf("%,d ping-pongs between sleeping shards in %d ms; shard 0 slept %,d times, shard 1 %,d%n",
                ROUND_TRIPS, millis, slept0, slept1);
        // Each side waits for the other on nearly every exchange; demand a tenth, so that the test really
        // exercised sleeping (the wake-up path) rather than spinning.
        assertTrue(slept0 >= ROUND_TRIPS / 10, "shard 0 slept only " + slept0 + " times");
        assertTrue(slept1 >= ROUND_TRIPS / 10, "shard 1 slept only " + slept1 + " times");
    }

    @Test
    void chainBouncingBetweenShardsWakesEachInTurn() throws Exception {
        // One call hops 0 -> 1 -> 0 -> 1 ... through nested submitTo: each hop's request and each completion
        // travelling back must wake a sleeping shard.
        int hops = 500;
        int depth = smp.submitExternal(0, () -> hop(hops)).get(BOUND_SECONDS, TimeUnit.SECONDS);
        assertEquals(hops, depth);
    }

    private static Future<Integer> hop(int remaining) {
        if (remaining == 0) {
            return Future.ready(0);
        }
        int other = 1 - Shard.currentId();
        return Smp.submitTo(other, () -> hop(remaining - 1)).map(d -> d + 1);
    }

    @Test
    void externalThreadWakesASleepingShard() throws Exception {
        long before = sleeps(1);
        for (int i = 0; i < 2_000; i++) {
            int v = i;
            assertEquals(v, on(smp, 1, () -> Future.ready(v)));
        }
        assertTrue(sleeps(1) - before >= 200, "shard 1 slept between the external calls");
    }
}
