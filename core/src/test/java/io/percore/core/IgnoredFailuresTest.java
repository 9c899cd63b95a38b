package io.percore.core;

import static io.percore.core.OnShard.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.percore.smp.Smp;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Failed futures dropped without anyone looking are reported once collected; observed ones never are. Each test
 * drops a "sentinel" failure nobody observes and waits (with System.gc()) until it is reported: by then the
 * collector has also found the futures the test observed, so their absence from the reports means something.
 */
class IgnoredFailuresTest {
    private static final AtomicInteger IDS = new AtomicInteger();
    static Smp smp;

    /** The messages of every failure reported while a test ran. */
    private final Set<String> reported = ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void startShards() {
        smp = OnShard.start(1, ReactorConfig.defaults());
    }

    @AfterAll
    static void stopShards() {
        smp.stop();
    }

    @BeforeEach
    void captureReports() {
        IgnoredFailures.setHandler(e -> reported.add(String.valueOf(e.getMessage())));
    }

    @AfterEach
    void restoreHandler() {
        IgnoredFailures.setHandler(null);
    }

    private static String unique(String what) {
        return what + "#" + IDS.incrementAndGet();
    }

    /** Drops a failed future without observing it; kept out of line so no frame keeps it reachable. */
    private static void dropFailed(String message) {
        Future.failed(new IllegalStateException(message));
    }

    /** Collects garbage until {@code message} is reported, failing after a deadline. */
    private void gcUntilReported(String message) {
        OnShard.awaitTrue("report of the ignored failure '" + message + "'", Duration.ofSeconds(15), () -> {
            System.gc();
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return reported.contains(message);
        });
        // A few more rounds, so futures that became unreachable at the same time are surely processed.
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void aDroppedFailedFutureIsReported() {
        String sentinel = unique("dropped off-shard");
        dropFailed(sentinel);
        gcUntilReported(sentinel);
    }

    @Test
    void aFailedContinuationDroppedOnAShardIsReported() {
        String sentinel = unique("dropped on shard");
        call(smp, 0, () -> {
            Promise<Integer> p = new Promise<>();
            p.map(v -> {
                throw new IllegalStateException(sentinel);
            });
            p.setValue(1);
            // The continuation fails in a later task; nobody holds its future.
            return Reactor.yieldNow().then(Reactor::yieldNow);
        });
        gcUntilReported(sentinel);
    }

    @Test
    void observedFailuresAreNotReported() {
        List<String> observed = List.of(unique("failure()"), unique("getNow"), unique("handle"), unique("onComplete"),
                unique("ignoreFailure"), unique("map passes it on"), unique("whenAll"), unique("recoverWith"),
                unique("finallyDo"), unique("forward"));
        observeOffShard(observed);
        String sentinel = unique("sentinel off-shard");
        dropFailed(sentinel);
        gcUntilReported(sentinel);
        for (String m : observed) {
            assertFalse(reported.contains(m), "observed failure reported as ignored: " + m);
        }
    }

    private static void observeOffShard(List<String> m) {
        Future.failed(new IllegalStateException(m.get(0))).failure();
        assertThrows(CompletionException.class, () -> Future.failed(new IllegalStateException(m.get(1))).getNow());
        Future.failed(new IllegalStateException(m.get(2))).handle((v, e) -> 0);
        Future.failed(new IllegalStateException(m.get(3))).onComplete((v, e) -> { });
        Future.failed(new IllegalStateException(m.get(4))).ignoreFailure();
        // The derived future now holds the failure; observing it there is enough.
        Future.failed(new IllegalStateException(m.get(5))).map(v -> v).failure();
        Futures.whenAll(Future.failed(new IllegalStateException(m.get(6))), Future.done()).failure();
        Future.failed(new IllegalStateException(m.get(7))).recoverWith(e -> Future.done());
        Future.failed(new IllegalStateException(m.get(8))).finallyDo(() -> { }).ignoreFailure();
        Promise<Object> p = new Promise<>();
        Future.failed(new IllegalStateException(m.get(9))).forward(p);
        p.failure();
    }

    @Test
    void failuresObservedOnAShardAfterTheyHappenedAreNotReported() {
        String handled = unique("handled later");
        String awaited = unique("awaited in Async");
        String sentinel = unique("sentinel on shard");
        call(smp, 0, () -> {
            // Failed with nobody waiting (tracked), observed a turn later.
            Promise<Integer> p = new Promise<>();
            p.setException(new IllegalStateException(handled));
            Future<Integer> viaAsync = Async.run(() -> {
                Async.await(Reactor.yieldNow());
                throw new IllegalStateException(awaited);
            });
            Future.failed(new IllegalStateException(sentinel));
            return Reactor.yieldNow().flatMap(v -> p.handle((x, e) -> 0))
                    .then(() -> viaAsync.handleException(e -> 0));
        });
        gcUntilReported(sentinel);
        assertFalse(reported.contains(handled));
        assertFalse(reported.contains(awaited));
    }

    @Test
    void aLateFailureAfterWithTimeoutIsNotReported() {
        String late = unique("late failure");
        String sentinel = unique("sentinel after timeout");
        String outcome = call(smp, 0, () -> {
            Promise<Integer> p = new Promise<>();
            return p.withTimeout(Duration.ofMillis(1)).handle((v, e) -> {
                // The timeout won; the operation fails afterwards and nobody looks at it but the race.
                p.setException(new IllegalStateException(late));
                Future.failed(new IllegalStateException(sentinel));
                return e.getClass().getSimpleName();
            }).flatMap(s -> Reactor.yieldNow().map(v -> s));
        });
        assertEquals("TimeoutException", outcome);
        gcUntilReported(sentinel);
        assertFalse(reported.contains(late));
    }
}
