package io.percore.smp;

import static io.percore.smp.SmpTesting.on;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Promise;
import io.percore.core.ReactorConfig;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Back-pressure on one link: with rings of 8 slots, at most 8 calls from shard 0 to shard 1 are in flight; the
 * rest wait on shard 0, in order, and none is lost or reordered when room frees up.
 */
class SmpBackPressureTest {
    private static final int RING = 8;
    private static final int CALLS = 1_000;

    private Smp smp;

    /** Shard 1's state: the promises its calls wait on, oldest first. Touched on shard 1 only. */
    private final ArrayDeque<Promise<Void>> parked = new ArrayDeque<>();
    private final List<Integer> startOrder = new ArrayList<>();
    private int runningNow;
    private int maxRunning;

    /** Shard 0's state: the order in which the calls' futures completed. Touched on shard 0 only. */
    private final List<Integer> completionOrder = new ArrayList<>();

    @BeforeEach
    void start() {
        smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()).withRingSize(RING), r -> { });
    }

    @AfterEach
    void stop() {
        smp.stop();
    }

    /** [in flight, waiting, completed] as shard 0 sees them. */
    private int[] senderView() throws Exception {
        return on(smp, 0, () -> Future.ready(new int[] {Smp.inFlightOn(0, 1), Smp.waitingOn(0, 1), completionOrder.size()}));
    }

    @Test
    void atMostRingSizeCallsAreInFlightAndTheRestWaitInOrder() throws Exception {
        CompletableFuture<List<Integer>> values = smp.submitExternal(0, () -> {
            List<Future<Integer>> all = new ArrayList<>(CALLS);
            for (int i = 0; i < CALLS; i++) {
                int index = i;
                all.add(Smp.submitTo(1, () -> {
                    startOrder.add(index);
                    maxRunning = Math.max(maxRunning, ++runningNow);
                    Promise<Void> p = new Promise<>();
                    parked.addLast(p);
                    return p.map(v -> index);
                }).map(v -> {
                    completionOrder.add(v);
                    return v;
                }));
            }
            // All 1,000 were accepted at once, none sent yet (they go out at the end of the turn).
            assertEquals(RING, Smp.inFlightOn(0, 1));
            assertEquals(CALLS - RING, Smp.waitingOn(0, 1));
            return Futures.whenAll(all);
        });

        // Shard 1 fills up with exactly RING calls, and stays there while nothing is released.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SmpTesting.TIMEOUT_SECONDS);
        while (on(smp, 1, () -> Future.ready(parked.size())) < RING) {
            assertTrue(System.nanoTime() < deadline, "shard 1 never received " + RING + " calls");
            Thread.sleep(1);
        }
        Thread.sleep(50);
        assertEquals(RING, (int) on(smp, 1, () -> Future.ready(parked.size())), "no call beyond the ring size arrives");
        int[] view = senderView();
        assertEquals(RING, view[0], "in flight");
        assertEquals(CALLS - RING, view[1], "waiting on the sender");
        assertEquals(0, view[2], "completed");
        assertFalse(values.isDone());

        // Release the oldest calls a few at a time; check the sender's books after each release.
        SplittableRandom rnd = new SplittableRandom(42);
        int released = 0;
        while (released < CALLS) {
            int k = 1 + rnd.nextInt(RING);
            released += on(smp, 1, () -> {
                int n = 0;
                while (n < k && !parked.isEmpty()) {
                    runningNow--;
                    parked.pollFirst().setValue(null);
                    n++;
                }
                return Future.ready(n);
            });
            view = senderView();
            assertTrue(view[0] <= RING, "in flight " + view[0]);
            assertTrue(view[0] + view[1] + view[2] <= CALLS, "counted twice");
            assertTrue(view[2] <= released, "completed more than released");
            assertTrue(System.nanoTime() < deadline, "released only " + released);
        }

        List<Integer> result = values.get(SmpTesting.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        List<Integer> expected = new ArrayList<>(CALLS);
        for (int i = 0; i < CALLS; i++) {
            expected.add(i);
        }
        assertEquals(expected, result, "every call's own value");
        assertEquals(expected, on(smp, 1, () -> Future.ready(new ArrayList<>(startOrder))), "started in submission order");
        assertEquals(expected, on(smp, 0, () -> Future.ready(new ArrayList<>(completionOrder))),
                "completed in submission order");
        assertEquals(RING, (int) on(smp, 1, () -> Future.ready(maxRunning)), "never more than the ring size at once");
        view = senderView();
        assertEquals(0, view[0]);
        assertEquals(0, view[1]);
        assertEquals(CALLS, view[2]);
    }

    @Test
    void waitingCallsDoNotOvertakeWhenRoomFreesUp() throws Exception {
        // Calls made while others wait must queue behind them even if a slot is free at that moment.
        List<Integer> order = on(smp, 0, () -> {
            List<Integer> seen = new ArrayList<>();
            List<Future<Void>> all = new ArrayList<>();
            for (int i = 0; i < 3 * RING; i++) {
                int index = i;
                all.add(Smp.submitTo(1, Future::done).thenAccept(v -> seen.add(index)));
            }
            // A second wave after the first has partly completed.
            return Futures.whenAll(new ArrayList<>(all.subList(0, RING))).flatMap(v -> {
                for (int i = 3 * RING; i < 4 * RING; i++) {
                    int index = i;
                    all.add(Smp.submitTo(1, Future::done).thenAccept(x -> seen.add(index)));
                }
                return Futures.whenAll(all);
            }).map(v -> seen);
        });
        for (int i = 0; i < order.size(); i++) {
            assertEquals(i, order.get(i));
        }
        assertEquals(4 * RING, order.size());
    }
}
