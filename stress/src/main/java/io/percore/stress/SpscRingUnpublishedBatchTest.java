package io.percore.stress;

import io.percore.smp.SpscRing;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * An unpublished batch of two behind a published element stays invisible: the producer publishes 1, then stages
 * 2 and 3 without publishing them. The consumer takes nothing or exactly 1, never 2 or 3.
 */
@JCStressTest
@Outcome(id = "0, 0", expect = Expect.ACCEPTABLE, desc = "Nothing published yet.")
@Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "The published element only.")
@Outcome(expect = Expect.FORBIDDEN, desc = "An element of the unpublished batch was seen.")
@State
public class SpscRingUnpublishedBatchTest {
    private final SpscRing<Integer> ring = new SpscRing<>(4);

    /** The producing thread (jcstress actor). */
    @Actor
    public void producer() {
        ring.stage(1);
        ring.publish();
        ring.stage(2);
        ring.stage(3);
    }

    /** The consuming thread (jcstress actor). */
    @Actor
    public void consumer(II_Result r) {
        int[] seen = new int[2];
        ring.drain(v -> {
            seen[0]++;
            seen[1] += v;
        }, 4);
        r.r1 = seen[0];
        r.r2 = seen[1];
    }
}
