package io.percore.core.sync;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.IgnoredFailures;
import io.percore.core.Promise;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AbortSourceTest extends ShardTestBase {

    @Test
    void subscribersRunOnceInSubscriptionOrder() {
        runOnShard(() -> {
            AbortSource as = new AbortSource();
            List<Integer> calls = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int id = i;
                as.subscribe(() -> calls.add(id));
            }
            assertFalse(as.isAbortRequested());
            assertTrue(calls.isEmpty());
            as.requestAbort();
            assertTrue(as.isAbortRequested());
            as.requestAbort(new IOException("again"));
            assertEquals(List.of(0, 1, 2), calls, "each callback once, in order, however many requests");
            assertInstanceOf(AbortRequestedException.class, as.reason(), "the first request's reason stays");
        });
    }

    @Test
    void anUnsubscribedCallbackDoesNotRun() {
        runOnShard(() -> {
            AbortSource as = new AbortSource();
            int[] calls = new int[2];
            AbortSource.Subscription gone = as.subscribe(() -> calls[0]++);
            AbortSource.Subscription kept = as.subscribe(() -> calls[1]++);
            assertTrue(gone.isActive());
            assertTrue(gone.unsubscribe());
            assertFalse(gone.unsubscribe(), "unsubscribing twice is harmless");
            assertFalse(gone.isActive());
            as.requestAbort();
            assertEquals(0, calls[0]);
            assertEquals(1, calls[1]);
            assertFalse(kept.isActive(), "a callback that ran is no longer subscribed");
            assertFalse(kept.unsubscribe());
        });
    }

    @Test
    void subscribingAfterTheAbortRunsTheCallbackAtOnce() {
        runOnShard(() -> {
            AbortSource as = new AbortSource();
            as.requestAbort();
            int[] calls = new int[1];
            AbortSource.Subscription s = as.subscribe(() -> calls[0]++);
            assertEquals(1, calls[0]);
            assertFalse(s.isActive());
        });
    }

    @Test
    void throwIfAbortedThrowsOnlyAfterAnAbort() {
        runOnShard(() -> {
            AbortSource plain = new AbortSource();
            assertDoesNotThrow(plain::throwIfAborted);
            plain.requestAbort();
            assertSame(plain.reason(), assertThrows(AbortRequestedException.class, plain::throwIfAborted));

            AbortSource custom = new AbortSource();
            IOException why = new IOException("client went away");
            custom.requestAbort(why);
            assertSame(why, custom.reason());
            assertSame(why, assertThrows(AbortRequestedException.class, custom::throwIfAborted).getCause());
        });
    }

    @Test
    void aThrowingCallbackDoesNotStopTheOthers() {
        runOnShard(() -> {
            AbortSource as = new AbortSource();
            int[] calls = new int[1];
            IllegalStateException bad = new IllegalStateException("bad callback");
            as.subscribe(() -> {
                throw bad;
            });
            as.subscribe(() -> calls[0]++);
            assertSame(bad, assertThrows(IllegalStateException.class, as::requestAbort));
            assertEquals(1, calls[0]);
        });
    }

    @Test
    void abortableFailsWithTheReasonWhenTheAbortComesFirst() {
        runOnShard(() -> {
            AbortSource as = new AbortSource();
            Promise<Integer> op = new Promise<>();
            Future<Integer> f = as.abortable(op);
            settle();
            assertFalse(f.isDone());
            IOException why = new IOException("stop");
            as.requestAbort(why);
            assertSame(why, failureOf(f));
            op.setValue(1); // the late outcome is dropped without complaint
            settle();
        });
    }

    @Test
    void abortableKeepsTheOutcomeWhenTheFutureComesFirst() {
        runOnShard(() -> {
            AbortSource as = new AbortSource();
            Promise<Integer> op = new Promise<>();
            int[] calls = new int[1];
            Future<Integer> f = as.abortable(op);
            op.setValue(7);
            assertEquals(7, await(f));
            as.subscribe(() -> calls[0]++);
            as.requestAbort();
            assertEquals(1, calls[0]);
            assertTrue(f.isReady(), "an abort after the future won changes nothing");
            assertEquals(7, f.getNow());

            AbortSource as2 = new AbortSource();
            Promise<Integer> failing = new Promise<>();
            Future<Integer> g = as2.abortable(failing);
            IOException boom = new IOException("boom");
            failing.setException(boom);
            assertSame(boom, failureOf(g));
        });
    }

    @Test
    void abortableFailsAtOnceWhenAlreadyAborted() {
        runOnShard(() -> {
            AbortSource as = new AbortSource();
            as.requestAbort();
            Future<String> f = as.abortable(Future.ready("too late"));
            assertTrue(f.isFailed());
            assertInstanceOf(AbortRequestedException.class, failureOf(f));
        });
    }

    @Test
    void theLateFailureOfAnAbortedFutureIsNotReportedAsIgnored() throws Exception {
        ConcurrentLinkedQueue<Throwable> reported = new ConcurrentLinkedQueue<>();
        IgnoredFailures.setHandler(reported::add);
        try {
            runOnShard(() -> {
                AbortSource as = new AbortSource();
                Promise<Void> op = new Promise<>();
                Future<Void> f = as.abortable(op);
                as.requestAbort();
                assertInstanceOf(AbortRequestedException.class, failureOf(f));
                op.setException(new LateFailure());
                // A control: a failure dropped unobserved, which must be reported.
                Future.failed(new DroppedFailure());
                settle();
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (reported.stream().noneMatch(DroppedFailure.class::isInstance) && System.nanoTime() < deadline) {
                System.gc();
                Thread.sleep(20);
            }
            assertTrue(reported.stream().anyMatch(DroppedFailure.class::isInstance), "the control was reported");
            System.gc();
            Thread.sleep(100);
            assertTrue(reported.stream().noneMatch(LateFailure.class::isInstance),
                    "the operation's late failure was observed by abortable: " + reported);
        } finally {
            IgnoredFailures.setHandler(null);
        }
    }

    private static final class LateFailure extends RuntimeException {
        LateFailure() {
            super("late failure");
        }
    }

    private static final class DroppedFailure extends RuntimeException {
        DroppedFailure() {
            super("dropped on purpose");
        }
    }
}
