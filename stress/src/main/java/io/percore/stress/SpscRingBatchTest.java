package io.percore.stress;

import io.percore.smp.SpscRing;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * A batch is published at once: two staged elements become visible with the one tail store of
 * {@link SpscRing#publish()}, so a consumer sees none or both, in order, never half a batch.
 */
@JCStressTest
@Outcome(id = "0, 0, 0", expect = Expect.ACCEPTABLE, desc = "Batch not published yet.")
@Outcome(id = "2, 10, 20", expect = Expect.ACCEPTABLE, desc = "The whole batch, in order.")
@Outcome(expect = Expect.FORBIDDEN, desc = "Half a batch, out of order, or a lost element.")
@State
public class SpscRingBatchTest {
    private final SpscRing<Integer> ring = new SpscRing<>(4);

    /** The producing thread (jcstress actor). */
    @Actor
    public void producer() {
        ring.stage(10);
        ring.stage(20);
        ring.publish();
    }

    /** The consuming thread (jcstress actor). */
    @Actor
    public void consumer(III_Result r) {
        int[] seen = new int[3];
        ring.drain(v -> seen[++seen[0]] = v, 4);
        r.r1 = seen[0];
        r.r2 = seen[1];
        r.r3 = seen[2];
    }
}
