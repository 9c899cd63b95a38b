package io.percore.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BufferTest {
    private Arena arena;

    @BeforeEach
    void noPoolOnThisThread() {
        assertNull(MemoryPool.current(), "these tests use wrapped and fallback memory");
        arena = Arena.ofConfined();
    }

    @AfterEach
    void closeArena() {
        arena.close();
    }

    /** A buffer over {@code text}'s bytes whose release action counts into {@code releases}. */
    private Buffer counted(String text, AtomicInteger releases) {
        MemorySegment seg = arena.allocateFrom(text, StandardCharsets.US_ASCII).asSlice(0, text.length());
        return Buffer.wrap(seg, releases::incrementAndGet);
    }

    @Test
    void sharedViewsSeeTheSameBytesAndTheStorageLivesUntilTheLastView() {
        AtomicInteger releases = new AtomicInteger();
        Buffer original = counted("abcdef", releases);
        Buffer shared = original.share();
        original.put(0, (byte) 'X');
        assertEquals('X', shared.get(0), "a share views the same bytes, not a copy");
        assertEquals(original.segment().address(), shared.segment().address());

        original.release();
        assertEquals(0, releases.get(), "a view is still alive");
        assertEquals("Xbcdef", shared.toString(StandardCharsets.US_ASCII));
        shared.release();
        assertEquals(1, releases.get());
    }

    @Test
    void theReleaseActionRunsExactlyOnceAfterTheLastOfManyViews() {
        AtomicInteger releases = new AtomicInteger();
        Buffer original = counted("0123456789", releases);
        List<Buffer> views = new ArrayList<>();
        views.add(original);
        for (int i = 0; i < 10; i++) {
            views.add(i % 2 == 0 ? original.share() : original.share(i, 10 - i));
        }
        Collections.shuffle(views, new Random(42));
        for (int i = 0; i < views.size(); i++) {
            assertEquals(0, releases.get(), "released early, after " + i + " of " + views.size() + " views");
            views.get(i).release();
        }
        assertEquals(1, releases.get());
    }

    @Test
    void shareOfARangeViewsThatRangeOnly() {
        Buffer b = Buffer.copyOf("hello world");
        Buffer world = b.share(6, 5);
        assertEquals("world", world.toString(StandardCharsets.UTF_8));
        assertEquals(5, world.length());
        Buffer or = world.share(1, 2);
        assertEquals("or", or.toString(StandardCharsets.UTF_8));
        assertThrows(IndexOutOfBoundsException.class, () -> world.get(5));
        assertThrows(IndexOutOfBoundsException.class, () -> b.share(6, 6));
        assertThrows(IndexOutOfBoundsException.class, () -> b.share(-1, 2));
        assertEquals(5, world.segment().byteSize(), "the segment covers the view, not the storage");
        or.release();
        world.release();
        b.release();
    }

    @Test
    void trimAndTrimFrontMoveOnlyThisView() {
        Buffer b = Buffer.copyOf("hello world");
        Buffer keep = b.share();
        b.trimFront(6);
        assertEquals("world", b.toString(StandardCharsets.UTF_8));
        assertEquals('w', b.get(0));
        b.trim(3);
        assertEquals("wor", b.toString(StandardCharsets.UTF_8));
        assertEquals(3, b.length());
        assertThrows(IndexOutOfBoundsException.class, () -> b.get(3));
        assertEquals("hello world", keep.toString(StandardCharsets.UTF_8), "other views are unaffected");

        assertThrows(IndexOutOfBoundsException.class, () -> b.trim(4), "trim cannot grow a view");
        assertThrows(IndexOutOfBoundsException.class, () -> b.trimFront(4));
        assertThrows(IndexOutOfBoundsException.class, () -> b.trimFront(-1));
        b.trimFront(3);
        assertTrue(b.isEmpty());
        assertEquals(0, b.toArray().length);
        b.release();
        keep.release();
    }

    @Test
    void releasingTwiceThrowsAndAReleasedViewCannotBeUsed() {
        AtomicInteger releases = new AtomicInteger();
        Buffer b = counted("abc", releases);
        Buffer other = b.share();
        b.release();
        IllegalStateException e = assertThrows(IllegalStateException.class, b::release);
        assertTrue(e.getMessage().contains("already released"), e.getMessage());
        assertEquals(0, releases.get(), "the failed second release did not drop the other view's reference");
        assertThrows(IllegalStateException.class, () -> b.get(0));
        assertThrows(IllegalStateException.class, () -> b.put(0, (byte) 1));
        assertThrows(IllegalStateException.class, b::segment);
        assertThrows(IllegalStateException.class, b::share);
        assertThrows(IllegalStateException.class, b::toArray);
        assertThrows(IllegalStateException.class, () -> b.trim(1));
        assertEquals(3, b.length(), "length still answers");
        assertTrue(b.toString().contains("released"));
        other.release();
        assertEquals(1, releases.get());
    }

    @Test
    void theEmptyBufferIsOneImmutableInstance() {
        Buffer empty = Buffer.empty();
        assertSame(empty, Buffer.empty());
        assertTrue(empty.isEmpty());
        assertEquals(0, empty.length());
        assertSame(empty, empty.share());
        assertSame(empty, empty.share(0, 0));
        empty.release();
        empty.release(); // no-op, never "already released"
        empty.trim(0);
        empty.trimFront(0);
        assertThrows(IndexOutOfBoundsException.class, () -> empty.trimFront(1));
        assertThrows(IndexOutOfBoundsException.class, () -> empty.get(0));
        assertThrows(IndexOutOfBoundsException.class, () -> empty.put(0, (byte) 1));
        assertEquals(0, empty.segment().byteSize());
        assertEquals(0, empty.toArray().length);
        assertSame(empty, Buffer.allocate(0));
        assertSame(empty, Buffer.copyOf(new byte[0]));
    }

    @Test
    void copyOfHoldsExactlyTheBytes() {
        String text = "héllo ✓";
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        Buffer b = Buffer.copyOf(text);
        assertEquals(utf8.length, b.length());
        assertArrayEquals(utf8, b.toArray());
        assertEquals(text, b.toString(StandardCharsets.UTF_8));
        b.release();

        byte[] raw = {0, -1, 127, -128, 42};
        Buffer r = Buffer.copyOf(raw);
        raw[0] = 99;
        assertEquals(0, r.get(0), "a copy, not a view of the array");
        assertEquals(-1, r.get(1));
        r.release();
    }

    @Test
    void withoutAPoolMemoryComesFromTheFallbackAndIsFreedOnRelease() throws Exception {
        Buffer b = Buffer.allocate(100);
        MemorySegment seg = b.segment();
        seg.fill((byte) 5);
        assertEquals(5, b.get(99));
        assertNull(PoolTesting.onOtherThread("elsewhere", b::release), "fallback memory is freed on any thread");
        assertThrows(IllegalStateException.class, () -> seg.get(ValueLayout.JAVA_BYTE, 0),
                "the fallback arena was closed by the release");
        assertThrows(IllegalArgumentException.class, () -> Buffer.allocate(-1));
    }

    @Test
    void aWrappedBufferRunsItsActionOnTheThreadThatReleasesTheLastView() throws Exception {
        AtomicReference<String> ranOn = new AtomicReference<>();
        Buffer b = Buffer.wrap(arena.allocate(8), () -> ranOn.set(Thread.currentThread().getName()));
        assertNull(PoolTesting.onOtherThread("last-owner", b::release));
        assertEquals("last-owner", ranOn.get());
    }

    @Test
    void wrapAcceptsANullActionAndRejectsHugeSegments() {
        Buffer b = Buffer.wrap(arena.allocate(16), null);
        assertEquals(16, b.length());
        b.release();
        MemorySegment huge = MemorySegment.NULL.reinterpret(1L << 32);
        assertThrows(IllegalArgumentException.class, () -> Buffer.wrap(huge, null));
    }

    @Test
    void sharingAPoolBufferAllocatesNoPoolMemory() {
        MemoryPool pool = new MemoryPool(0, PoolTesting.MIB, -1);
        try {
            Buffer b = pool.allocate(1000);
            Buffer s1 = b.share();
            Buffer s2 = b.share(10, 10);
            assertEquals(1024, pool.used());
            assertEquals(1, pool.allocations());
            b.release();
            s1.release();
            assertEquals(1024, pool.used(), "one view still holds the block");
            s2.release();
            assertEquals(0, pool.used());
            assertEquals(1, pool.frees());
        } finally {
            pool.close();
        }
    }

    @Test
    void aViewReleasedOnAForeignThreadGoesHomeAndCannotBeReleasedAgain() throws Exception {
        MemoryPool pool = new MemoryPool(0, PoolTesting.MIB, -1);
        try {
            Buffer b = pool.allocate(64);
            Throwable t = PoolTesting.onOtherThread("foreign", b::release);
            assertNull(t);
            assertEquals(64, pool.used());
            assertEquals(1, pool.drainRemoteFrees());
            assertEquals(0, pool.used());
            assertInstanceOf(IllegalStateException.class, PoolTesting.runCatching(b::release));
        } finally {
            pool.close();
        }
    }
}
