package io.percore.stress;

import io.percore.smp.SpscRing;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * A staged element stays invisible until published: the producer publishes one element, then stages a second
 * without publishing it. The consumer may see the first or nothing, never the second.
 */
@JCStressTest
@Outcome(id = "0, 0", expect = Expect.ACCEPTABLE, desc = "Nothing published yet.")
@Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "The published element only.")
@Outcome(expect = Expect.FORBIDDEN, desc = "A staged, unpublished element was seen.")
@State
public class SpscRingStagedTest {
    private final SpscRing<Integer> ring = new SpscRing<>(4);

    /** The producing thread (jcstress actor). */
    @Actor
    public void producer() {
        ring.stage(1);
        ring.publish();
        ring.stage(2);
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
