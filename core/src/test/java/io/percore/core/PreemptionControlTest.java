package io.percore.core;

import static io.percore.core.OnShard.call;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.smp.Smp;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The control for {@link PreemptionTest}: the same loop on a reactor whose task quota is one second never hits
 * the quota, so the 1 ms timer waits for the whole loop. If this test failed, PreemptionTest would prove nothing.
 */
class PreemptionControlTest {
    static Smp smp;

    @BeforeAll
    static void startShards() {
        smp = OnShard.start(1, ReactorConfig.defaults().withTaskQuota(Duration.ofSeconds(1)));
    }

    @AfterAll
    static void stopShards() {
        smp.stop();
    }

    @Test
    void withAHugeQuotaTheLoopHoldsTheTimerBack() {
        long delay = call(smp, 0, PreemptionTest::timerDelayUnderReadyLoop);
        assertTrue(delay >= PreemptionTest.LOOP_NANOS,
                "the timer fired after " + OnShard.ms(delay) + " ms, during a loop that never reached the quota");
    }

    @Test
    void maybeYieldDoesNotYieldBeforeTheQuotaRunsOut() {
        String r = call(smp, 0, () -> {
            long start = System.nanoTime();
            while (System.nanoTime() - start < 20_000_000L) {
                assertFalse(Reactor.needPreempt());
                assertTrue(Reactor.maybeYield().isDone(), "maybeYield yielded with quota left");
            }
            return Future.ready("ok");
        });
        assertTrue(r.equals("ok"));
    }
}
