package io.percore.stress;

import io.percore.smp.SpscRing;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * A published element is seen whole: the consumer that takes it sees every plain field the producer wrote before
 * {@link SpscRing#publish()}, through the release store of the tail and the consumer's acquire load.
 */
@JCStressTest
@Outcome(id = "-1, -1", expect = Expect.ACCEPTABLE, desc = "Not published yet: nothing taken.")
@Outcome(id = "1, 2", expect = Expect.ACCEPTABLE, desc = "Taken with both fields.")
@Outcome(expect = Expect.FORBIDDEN, desc = "Taken, but a field written before publish is missing.")
@State
public class SpscRingPublishTest {
    /** Plain, non-final fields: only the ring's release/acquire makes them visible. */
    static final class Message {
        int a;
        int b;
    }

    private final SpscRing<Message> ring = new SpscRing<>(4);

    /** The producing thread (jcstress actor). */
    @Actor
    public void producer() {
        Message m = new Message();
        m.a = 1;
        m.b = 2;
        ring.stage(m);
        ring.publish();
    }

    /** The consuming thread (jcstress actor). */
    @Actor
    public void consumer(II_Result r) {
        r.r1 = -1;
        r.r2 = -1;
        ring.drain(m -> {
            r.r1 = m.a;
            r.r2 = m.b;
        }, 4);
    }
}
