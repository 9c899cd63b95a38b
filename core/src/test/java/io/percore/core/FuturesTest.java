package io.percore.core;

import static io.percore.core.OnShard.call;
import static io.percore.core.OnShard.callFailure;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.smp.Smp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Combinators and loops: whenAll, whenAny, repeat, doUntil, keepDoing, parallelForEach, mapReduce, doForEach. */
class FuturesTest {
    static Smp smp;

    @BeforeAll
    static void startShards() {
        smp = OnShard.start(1, ReactorConfig.defaults());
    }

    @AfterAll
    static void stopShards() {
        smp.stop();
    }

    static final class Boom extends RuntimeException {
        Boom(String message) {
            super(message);
        }
    }

    // ---------------------------------------------------------------- whenAll / whenAny

    @Test
    void whenAllGivesValuesInListOrderWhateverTheCompletionOrder() {
        List<Integer> r = call(smp, 0, () -> {
            List<Promise<Integer>> ps = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ps.add(new Promise<>());
            }
            List<Future<Integer>> all = new ArrayList<>(ps);
            all.add(Future.ready(5));
            Future<List<Integer>> f = Futures.whenAll(all);
            // Resolve in reverse order, each from its own task.
            for (int i = 4; i >= 0; i--) {
                int v = i;
                Reactor.current().schedule(() -> ps.get(v).setValue(v));
            }
            assertFalse(f.isDone());
            return f;
        });
        assertEquals(List.of(0, 1, 2, 3, 4, 5), r);
    }

    @Test
    void whenAllOfNothingOrOfReadyFuturesIsReadyAtOnce() {
        assertEquals(List.of(), Futures.whenAll(List.<Future<Integer>>of()).getNow());
        assertEquals(List.of(1, 2), Futures.whenAll(List.of(Future.ready(1), Future.ready(2))).getNow());
        assertNull(Futures.whenAll(Future.ready("a"), Future.done()).getNow());
    }

    @Test
    void whenAllFailsWithTheFirstFailureInListOrderAndSuppressesTheOthers() {
        Boom first = new Boom("first");
        Boom second = new Boom("second");
        Boom third = new Boom("third");
        Throwable e = callFailure(smp, 0, () -> {
            Promise<Integer> a = new Promise<>();
            Promise<Integer> b = new Promise<>();
            Promise<Integer> c = new Promise<>();
            Future<List<Integer>> f = Futures.whenAll(List.of(Future.ready(0), a, b, c));
            // The one first in the list fails last; it still wins.
            c.setException(third);
            b.setException(second);
            return Reactor.yieldNow().then(() -> {
                assertFalse(f.isDone(), "whenAll waits for every future, failed or not");
                a.setException(first);
                return f;
            });
        });
        assertSame(first, e);
        assertArrayEquals(new Throwable[] {second, third}, e.getSuppressed());
        Boom only = new Boom("only");
        assertSame(only, Futures.whenAll(Future.ready(1), Future.failed(only)).failure());
    }

    @Test
    void whenAnyTakesTheFirstOutcome() {
        String r = call(smp, 0, () -> {
            Promise<String> a = new Promise<>();
            Promise<String> b = new Promise<>();
            Future<String> f = Futures.whenAny(List.of(a, b));
            b.setValue("b");
            return f.flatMap(v -> {
                a.setException(new Boom("late failure is dropped"));
                return Reactor.yieldNow().map(x -> v);
            });
        });
        assertEquals("b", r);
        Boom boom = new Boom("first failed");
        assertSame(boom, callFailure(smp, 0, () -> {
            Promise<String> a = new Promise<>();
            Future<String> f = Futures.whenAny(List.of(a, Timer.sleep(Duration.ofMillis(20)).map(v -> "late")));
            a.setException(boom);
            return f;
        }));
        assertEquals("ready", Futures.whenAny(List.of(new Promise<String>(), Future.ready("ready"))).getNow());
        assertThrows(IllegalArgumentException.class, () -> Futures.whenAny(List.of()));
    }

    // ---------------------------------------------------------------- repeat and friends

    @Test
    void repeatStopsWhenAStepSaysTrue() {
        int[] steps = {0};
        assertNull(Futures.repeat(() -> Future.ready(++steps[0] == 10)).getNow());
        assertEquals(10, steps[0]);
        // With pending steps on a shard.
        int n = call(smp, 0, () -> {
            int[] count = {0};
            return Futures.repeat(() -> Reactor.yieldNow().map(v -> ++count[0] == 20)).map(v -> count[0]);
        });
        assertEquals(20, n);
    }

    @Test
    void repeatRunsAMillionReadyStepsWithoutGrowingTheStack() {
        int[] steps = {0};
        // Off-shard: nothing preempts, so the loop must be iterative.
        assertNull(Futures.repeat(() -> Future.ready(++steps[0] == 1_000_000)).getNow());
        assertEquals(1_000_000, steps[0]);
        int n = call(smp, 0, () -> {
            int[] count = {0};
            return Futures.repeat(() -> Future.ready(++count[0] == 1_000_000)).map(v -> count[0]);
        });
        assertEquals(1_000_000, n);
        // Steps that are ready futures produced by continuations of ready futures.
        int m = call(smp, 0, () -> {
            int[] count = {0};
            return Futures.repeat(() -> Future.done().map(v -> ++count[0]).map(c -> c == 1_000_000)).map(v -> count[0]);
        });
        assertEquals(1_000_000, m);
    }

    @Test
    void aFailingStepStopsRepeat() {
        Boom boom = new Boom("step 5");
        int[] steps = {0};
        assertSame(boom, Futures.repeat(() -> ++steps[0] == 5 ? Future.failed(boom) : Future.ready(false)).failure());
        assertEquals(5, steps[0]);
        int[] thrown = {0};
        assertSame(boom, Futures.repeat(() -> {
            if (++thrown[0] == 3) {
                throw boom;
            }
            return Future.ready(false);
        }).failure());
        assertEquals(3, thrown[0]);
        int[] pending = {0};
        assertSame(boom, callFailure(smp, 0, () -> Futures.repeat(
                () -> Reactor.yieldNow().map(v -> {
                    if (++pending[0] == 4) {
                        throw boom;
                    }
                    return false;
                }))));
        assertEquals(4, pending[0]);
    }

    @Test
    void doUntilChecksTheConditionBeforeEachStep() {
        int[] steps = {0};
        assertNull(Futures.doUntil(() -> steps[0] >= 5, () -> Future.ready(++steps[0])).getNow());
        assertEquals(5, steps[0]);
        int[] none = {0};
        Futures.doUntil(() -> true, () -> Future.ready(++none[0])).getNow();
        assertEquals(0, none[0], "a condition true at the start runs no step");
        int n = call(smp, 0, () -> {
            int[] count = {0};
            return Futures.doUntil(() -> count[0] == 7, () -> Timer.sleep(Duration.ZERO).map(v -> ++count[0]))
                    .map(v -> count[0]);
        });
        assertEquals(7, n);
    }

    @Test
    void keepDoingRunsUntilAStepFails() {
        Boom boom = new Boom("stop");
        int[] steps = {0};
        assertSame(boom, Futures.keepDoing(() -> ++steps[0] == 100 ? Future.failed(boom) : Future.done()).failure());
        assertEquals(100, steps[0]);
        assertSame(boom, callFailure(smp, 0, () -> {
            int[] count = {0};
            return Futures.keepDoing(() -> Reactor.yieldNow().map(v -> {
                if (++count[0] == 10) {
                    throw boom;
                }
                return v;
            }));
        }));
    }

    // ---------------------------------------------------------------- over collections

    @Test
    void parallelForEachStartsEveryActionBeforeAnyFinishes() {
        String r = call(smp, 0, () -> {
            List<Promise<Void>> started = new ArrayList<>();
            Future<Void> all = Futures.parallelForEach(List.of(1, 2, 3, 4, 5), e -> {
                Promise<Void> p = new Promise<>();
                started.add(p);
                return p;
            });
            assertEquals(5, started.size(), "all actions in flight at once");
            for (int i = 0; i < 4; i++) {
                started.get(i).setValue(null);
            }
            return Reactor.yieldNow().then(() -> {
                assertFalse(all.isDone(), "done only when every action is");
                started.get(4).setValue(null);
                return all.map(v -> "done");
            });
        });
        assertEquals("done", r);
        Boom boom = new Boom("element 2");
        assertSame(boom, Futures.parallelForEach(List.of(1, 2, 3), e -> {
            if (e == 2) {
                throw boom;
            }
            return Future.done();
        }).failure());
    }

    @Test
    void mapReduceFoldsEveryMappedValue() {
        int sum = call(smp, 0, () -> Futures.mapReduce(IntStream.rangeClosed(1, 10).boxed().toList(),
                e -> e % 2 == 0 ? Future.ready(e * e) : Reactor.yieldNow().map(v -> e * e), 0, Integer::sum));
        assertEquals(385, sum);
        assertEquals(100, Futures.mapReduce(List.<Integer>of(), e -> Future.ready(e), 100, Integer::sum).getNow());
        Boom boom = new Boom("mapper");
        assertSame(boom, Futures.mapReduce(List.of(1, 2), e -> e == 2 ? Future.failed(boom) : Future.ready(e), 0,
                Integer::sum).failure());
        Boom reducer = new Boom("reducer");
        assertSame(reducer, Futures.mapReduce(List.of(1, 2), Future::ready, 0, (a, b) -> {
            throw reducer;
        }).failure());
    }

    @Test
    void doForEachRunsOneElementAtATimeInOrder() {
        String r = call(smp, 0, () -> {
            List<String> log = new ArrayList<>();
            int[] inFlight = {0};
            return Futures.doForEach(List.of("a", "b", "c", "d"), e -> {
                log.add("start " + e);
                assertEquals(0, inFlight[0]++, "the previous element is not done yet");
                return Timer.sleep(Duration.ofMillis(1)).map(v -> {
                    inFlight[0]--;
                    log.add("end " + e);
                    return v;
                });
            }).map(v -> String.join(",", log));
        });
        assertEquals("start a,end a,start b,end b,start c,end c,start d,end d", r);
        Boom boom = new Boom("c");
        List<String> seen = new ArrayList<>();
        assertSame(boom, Futures.doForEach(List.of("a", "b", "c", "d"), e -> {
            seen.add(e);
            return e.equals("c") ? Future.failed(boom) : Future.done();
        }).failure());
        assertEquals(List.of("a", "b", "c"), seen, "a failure stops the iteration");
    }

    @Test
    void aLongLoopOfReadyStepsYieldsToOtherTasksOnItsShard() {
        // The loop yields when the quota runs out, so a task queued behind it runs before the loop ends.
        String r = call(smp, 0, () -> {
            long[] otherRanAt = {0};
            Reactor.current().schedule(() -> otherRanAt[0] = System.nanoTime());
            long start = System.nanoTime();
            long[] loopEnd = {0};
            return Futures.repeat(() -> {
                OnShard.spin(10_000);
                return Future.ready(System.nanoTime() - start > 50_000_000L);
            }).map(v -> {
                loopEnd[0] = System.nanoTime();
                assertTrue(otherRanAt[0] != 0 && otherRanAt[0] < loopEnd[0],
                        "the other task waited for the whole loop");
                return "ok";
            });
        });
        assertEquals("ok", r);
    }
}
