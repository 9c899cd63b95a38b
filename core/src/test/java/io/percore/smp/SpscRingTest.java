package io.percore.smp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Single-threaded checks of {@link SpscRing}'s index arithmetic: every count exact, across many wrap-arounds. */
class SpscRingTest {

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, 6, 12, 100, -2, -8, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void rejectsCapacityThatIsNotAPowerOfTwoAtLeastTwo(int capacity) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SpscRing<>(capacity));
        assertTrue(e.getMessage().contains(String.valueOf(capacity)), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4, 64, 1024, 1 << 16})
    void acceptsPowersOfTwo(int capacity) {
        SpscRing<Object> ring = new SpscRing<>(capacity);
        assertEquals(capacity, ring.capacity());
        assertEquals(capacity, ring.freeSlots());
        assertEquals(0, ring.staged());
        assertTrue(ring.isEmpty());
    }

    @Test
    void stagedElementsStayInvisibleUntilPublished() {
        SpscRing<String> ring = new SpscRing<>(8);
        assertTrue(ring.stage("a"));
        assertTrue(ring.stage("b"));
        assertEquals(2, ring.staged());
        assertTrue(ring.isEmpty(), "staged but unpublished elements must not be visible");
        List<String> out = new ArrayList<>();
        assertEquals(0, ring.drain(out::add, 100));
        assertEquals(List.of(), out);

        assertEquals(2, ring.publish());
        assertEquals(0, ring.staged());
        assertEquals(0, ring.publish(), "nothing new to publish");
        assertTrue(ring.stage("c"));
        assertFalse(ring.isEmpty());
        assertEquals(2, ring.drain(out::add, 100), "only the published two");
        assertEquals(List.of("a", "b"), out);
        assertTrue(ring.isEmpty());
        assertEquals(1, ring.publish());
        assertEquals(1, ring.drain(out::add, 100));
        assertEquals(List.of("a", "b", "c"), out);
    }

    @Test
    void fullRingRefusesToStageUntilTheConsumerFreesSlots() {
        SpscRing<Integer> ring = new SpscRing<>(4);
        for (int i = 0; i < 4; i++) {
            assertEquals(4 - i, ring.freeSlots());
            assertTrue(ring.stage(i));
        }
        assertEquals(0, ring.freeSlots());
        assertFalse(ring.stage(99), "staged elements occupy slots too: the ring is full");
        assertEquals(4, ring.staged(), "a refused stage changes nothing");
        assertEquals(4, ring.publish());
        assertFalse(ring.stage(99));

        List<Integer> out = new ArrayList<>();
        assertEquals(1, ring.drain(out::add, 1));
        assertEquals(List.of(0), out);
        assertEquals(1, ring.freeSlots());
        assertTrue(ring.stage(4));
        assertFalse(ring.stage(5));
        assertEquals(1, ring.publish());
        assertFalse(ring.isEmpty()); // refreshes the consumer's view of the tail, so the drain below takes all
        assertEquals(4, ring.drain(out::add, Integer.MAX_VALUE));
        assertEquals(List.of(0, 1, 2, 3, 4), out);
        assertEquals(4, ring.freeSlots());
    }

    @Test
    void drainHonoursItsLimit() {
        SpscRing<Integer> ring = new SpscRing<>(16);
        for (int i = 0; i < 10; i++) {
            ring.stage(i);
        }
        ring.publish();
        List<Integer> out = new ArrayList<>();
        assertEquals(0, ring.drain(out::add, 0), "limit 0 takes nothing");
        assertEquals(3, ring.drain(out::add, 3));
        assertEquals(List.of(0, 1, 2), out);
        assertEquals(1, ring.drain(out::add, 1));
        assertEquals(6, ring.drain(out::add, 100));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), out);
        assertEquals(0, ring.drain(out::add, 100));
    }

    @Test
    void negativeDrainLimitIsRefusedWithoutMovingTheHead() {
        SpscRing<Integer> ring = new SpscRing<>(4);
        ring.stage(1);
        ring.stage(2);
        ring.publish();
        List<Integer> out = new ArrayList<>();
        assertEquals(1, ring.drain(out::add, 1));
        assertThrows(IllegalArgumentException.class, () -> ring.drain(out::add, -1));
        assertEquals(1, ring.drain(out::add, 10));
        assertEquals(List.of(1, 2), out, "no element lost or delivered twice");
        assertEquals(4, ring.freeSlots());
    }

    @Test
    void drainedSlotsAreClearedSoNothingLeaks() throws Exception {
        SpscRing<Object> ring = new SpscRing<>(8);
        Field f = SpscRing.class.getDeclaredField("slots");
        f.setAccessible(true);
        Object[] slots = (Object[]) f.get(ring);
        for (int round = 0; round < 5; round++) {
            for (int i = 0; i < 5; i++) {
                ring.stage(new Object());
            }
            ring.publish();
            assertEquals(2, ring.drain(x -> { }, 2));
            assertEquals(3, countNonNull(slots), "the two drained slots are cleared, the three others still held");
            assertEquals(3, ring.drain(x -> { }, 10));
            assertEquals(0, countNonNull(slots), "every drained slot is cleared");
        }
    }

    @Test
    void sinkThatThrowsTakesTheElementsHandedToItAndLeavesTheRest() {
        SpscRing<Integer> ring = new SpscRing<>(8);
        for (int i = 0; i < 6; i++) {
            ring.stage(i);
        }
        ring.publish();
        List<Integer> out = new ArrayList<>();
        IllegalStateException boom = new IllegalStateException("boom");
        IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> ring.drain(e -> {
            out.add(e);
            if (e == 2) {
                throw boom;
            }
        }, 10));
        assertSame(boom, thrown);
        assertEquals(List.of(0, 1, 2), out);
        assertEquals(5, ring.freeSlots(), "the three handed out are freed");
        assertEquals(3, ring.drain(out::add, 10));
        assertEquals(List.of(0, 1, 2, 3, 4, 5), out, "the rest once each, no nulls, no repeats");
        assertEquals(8, ring.freeSlots());
    }

    @Test
    void wrapsAroundManyTimesWithExactCounts() {
        SpscRing<Integer> ring = new SpscRing<>(4);
        List<Integer> out = new ArrayList<>();
        int next = 0;
        for (int round = 0; round < 10_000; round++) {
            int k = 1 + round % 4;
            for (int i = 0; i < k; i++) {
                assertTrue(ring.stage(next++));
            }
            assertEquals(k, ring.staged());
            assertEquals(4 - k, ring.freeSlots());
            assertEquals(k, ring.publish());
            out.clear();
            assertEquals(k, ring.drain(out::add, 4));
            for (int i = 0; i < k; i++) {
                assertEquals(next - k + i, out.get(i));
            }
            assertEquals(4, ring.freeSlots());
        }
        assertEquals(25_000, next, "1+2+3+4 per four rounds: the indices wrapped 6,250 times");
    }

    /**
     * Random operations against a plain model of the ring (staged list, published deque). Every count the ring
     * reports must equal the model's, and elements come out in order, across thousands of wrap-arounds.
     */
    @ParameterizedTest
    @ValueSource(ints = {2, 4, 8, 64})
    void matchesAModelUnderRandomOperations(int capacity) {
        SpscRing<Integer> ring = new SpscRing<>(capacity);
        SplittableRandom rnd = new SplittableRandom(capacity * 7919L);
        List<Integer> staged = new ArrayList<>();
        ArrayDeque<Integer> published = new ArrayDeque<>();
        List<Integer> out = new ArrayList<>();
        int next = 0;
        int expectedOut = 0;
        for (int step = 0; step < 200_000; step++) {
            switch (rnd.nextInt(4)) {
                case 0 -> {
                    boolean room = staged.size() + published.size() < capacity;
                    assertEquals(room, ring.stage(next), "stage succeeds exactly when a slot is free");
                    if (room) {
                        staged.add(next++);
                    }
                }
                case 1 -> {
                    assertEquals(staged.size(), ring.publish());
                    published.addAll(staged);
                    staged.clear();
                }
                case 2 -> {
                    // isEmpty refreshes the consumer's view of the tail, so the drain that follows is exact.
                    assertEquals(published.isEmpty(), ring.isEmpty());
                    int limit = rnd.nextInt(capacity + 2);
                    out.clear();
                    int n = ring.drain(out::add, limit);
                    assertEquals(Math.min(limit, published.size()), n);
                    assertEquals(n, out.size());
                    for (Integer e : out) {
                        assertEquals(published.pollFirst(), e);
                        assertEquals(expectedOut++, e.intValue());
                    }
                }
                default -> {
                    assertEquals(staged.size(), ring.staged());
                    assertEquals(capacity - staged.size() - published.size(), ring.freeSlots());
                }
            }
        }
        assertTrue(expectedOut > 10 * capacity, "the ring wrapped many times");
    }

    @Test
    void drainWithAStaleViewOfTheTailStillMakesProgressAndLosesNothing() {
        SpscRing<Integer> ring = new SpscRing<>(8);
        ring.stage(0);
        ring.stage(1);
        ring.publish();
        List<Integer> out = new ArrayList<>();
        assertEquals(1, ring.drain(out::add, 1));
        ring.stage(2);
        ring.stage(3);
        ring.publish();
        // Up to the tail it last saw, or beyond: never nothing while something is published.
        int n = ring.drain(out::add, 10);
        assertTrue(n >= 1 && n <= 3, "took " + n);
        while (ring.drain(out::add, 10) > 0) {
            // Take the rest.
        }
        assertArrayEquals(new Integer[] {0, 1, 2, 3}, out.toArray(new Integer[0]));
        assertTrue(ring.isEmpty());
    }

    @Test
    void anUnpublishedBatchBehindAPublishedOneStaysInvisibleAcrossTheWrap() {
        // Staged elements already sit in their slots; only publish may let the consumer reach them.
        SpscRing<Integer> ring = new SpscRing<>(4);
        for (int lap = 0; lap < 6; lap++) {
            int base = lap * 10;
            assertTrue(ring.stage(base));
            assertTrue(ring.stage(base + 1));
            assertEquals(2, ring.publish());
            assertTrue(ring.stage(base + 2));
            assertTrue(ring.stage(base + 3));
            List<Integer> out = new ArrayList<>();
            assertEquals(2, ring.drain(out::add, 10), "only the published batch, lap " + lap);
            assertEquals(List.of(base, base + 1), out);
            assertTrue(ring.isEmpty(), "the staged batch is not visible yet");
            assertEquals(0, ring.drain(out::add, 10));
            assertEquals(2, ring.publish());
            assertFalse(ring.isEmpty());
            assertEquals(1, ring.drain(out::add, 1), "a limit stops inside a batch");
            assertEquals(1, ring.drain(out::add, 10));
            assertEquals(List.of(base, base + 1, base + 2, base + 3), out);
            assertTrue(ring.isEmpty());
        }
    }

    @Test
    void nullElementsPassThroughUnchanged() {
        // Not used by the smp layer, but the ring must not confuse a null element with an empty slot.
        SpscRing<Object> ring = new SpscRing<>(2);
        assertTrue(ring.stage(null));
        assertTrue(ring.stage("x"));
        assertFalse(ring.stage("y"));
        ring.publish();
        List<Object> out = new ArrayList<>();
        assertEquals(2, ring.drain(out::add, 5));
        assertNull(out.get(0));
        assertEquals("x", out.get(1));
    }

    private static int countNonNull(Object[] a) {
        int n = 0;
        for (Object o : a) {
            if (o != null) {
                n++;
            }
        }
        return n;
    }
}
