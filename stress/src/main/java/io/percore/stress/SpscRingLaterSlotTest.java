package io.percore.stress;

import io.percore.smp.SpscRing;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Every element of a batch is published whole, not only the first: a consumer that takes the second element of a
 * two-element batch sees every plain field the producer wrote before {@link SpscRing#publish()}.
 */
@JCStressTest
@Outcome(id = "-1, -1", expect = Expect.ACCEPTABLE, desc = "Not published yet: nothing taken.")
@Outcome(id = "3, 4", expect = Expect.ACCEPTABLE, desc = "The second element, with both fields.")
@Outcome(expect = Expect.FORBIDDEN, desc = "The second element taken without a field written before publish.")
@State
public class SpscRingLaterSlotTest {
    /** Plain, non-final fields: only the ring's release/acquire makes them visible. */
    static final class Message {
        int a;
        int b;
    }

    private final SpscRing<Message> ring = new SpscRing<>(4);

    /** The producing thread (jcstress actor). */
    @Actor
    public void producer() {
        Message first = new Message();
        first.a = 1;
        first.b = 2;
        Message second = new Message();
        second.a = 3;
        second.b = 4;
        ring.stage(first);
        ring.stage(second);
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
