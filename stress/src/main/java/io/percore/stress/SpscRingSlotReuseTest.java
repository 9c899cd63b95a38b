package io.percore.stress;

import io.percore.smp.SpscRing;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * A slot is reused only after the consumer is done with it. The ring of two starts full (1, 2 published); the
 * consumer takes one element while the producer tries to stage 3, which fits only in the slot of 1. The consumer
 * must read 1 (never 3, never the null it leaves behind), the producer succeeds only once the head has moved,
 * and afterwards the ring holds exactly what was not taken: 2, then 3 if it was staged.
 */
@JCStressTest
@Outcome(id = "1, 1, 2, 3", expect = Expect.ACCEPTABLE, desc = "Head moved first: 3 reused the freed slot.")
@Outcome(id = "1, 0, 1, 2", expect = Expect.ACCEPTABLE, desc = "Ring still full when the producer looked.")
@Outcome(expect = Expect.FORBIDDEN, desc = "A slot was overwritten before it was read, or an element lost.")
@State
public class SpscRingSlotReuseTest {
    private final SpscRing<Integer> ring = new SpscRing<>(2);

    /** Starts with a full ring: 1 and 2 published. */
    public SpscRingSlotReuseTest() {
        ring.stage(1);
        ring.stage(2);
        ring.publish();
    }

    /** The consuming thread (jcstress actor). */
    @Actor
    public void consumer(IIII_Result r) {
        int[] seen = {-1};
        ring.drain(v -> seen[0] = v == null ? 0 : v, 1);
        r.r1 = seen[0];
    }

    /** The producing thread (jcstress actor). */
    @Actor
    public void producer(IIII_Result r) {
        r.r2 = ring.stage(3) ? 1 : 0;
        ring.publish();
    }

    /** Runs after both actors: drains what is left. */
    @Arbiter
    public void rest(IIII_Result r) {
        int[] seen = {0, -1};
        // The consumer's view of the tail may be stale; isEmpty refreshes it.
        while (!ring.isEmpty()) {
            ring.drain(v -> {
                seen[0]++;
                seen[1] = v == null ? 0 : v;
            }, 2);
        }
        r.r3 = seen[0];
        r.r4 = seen[1];
    }
}
