package io.percore.memory;

import static io.percore.memory.PoolTesting.address;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PacketTest {
    private Arena arena;
    private MemoryPool pool;

    @BeforeEach
    void setUp() {
        arena = Arena.ofConfined();
        pool = new MemoryPool(0, 16 * PoolTesting.MIB, -1);
        pool.bindToCurrentThread(); // linearize allocates from the current pool
    }

    @AfterEach
    void tearDown() {
        assertEquals(0, pool.used(), "every pool buffer was released");
        pool.close();
        arena.close();
    }

    private Buffer counted(String text, AtomicInteger releases) {
        MemorySegment seg = arena.allocate(Math.max(1, text.length()));
        MemorySegment.copy(text.getBytes(StandardCharsets.US_ASCII), 0, seg, ValueLayout.JAVA_BYTE, 0, text.length());
        return Buffer.wrap(seg.asSlice(0, text.length()), releases::incrementAndGet);
    }

    /** The packet's bytes, read fragment by fragment (leaves the packet as it is). */
    private static String contents(Packet p) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < p.fragmentCount(); i++) {
            out.writeBytes(p.fragment(i).toArray());
        }
        return out.toString(StandardCharsets.US_ASCII);
    }

    @Test
    void appendAndPrependKeepOrder() {
        Packet p = Packet.of(Buffer.copyOf("payload"));
        p.prepend(Buffer.copyOf("hdr:"));
        p.append(Buffer.copyOf(":trailer"));
        p.prepend(Buffer.copyOf("eth|"));
        assertEquals(4, p.fragmentCount());
        assertEquals("eth|hdr:payload:trailer", contents(p));
        assertEquals(23, p.length());
        assertEquals("hdr:", p.fragment(1).toString(StandardCharsets.US_ASCII));
        assertThrows(IndexOutOfBoundsException.class, () -> p.fragment(4));
        p.release();
    }

    @Test
    void growsBeyondFourFragments() {
        Packet p = Packet.empty();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 37; i++) {
            String s = Integer.toString(i) + ",";
            expected.append(s);
            if (i % 3 == 0) {
                p.append(Buffer.copyOf(s));
            } else {
                p.append(Packet.of(Buffer.copyOf(s)));
            }
        }
        p.prepend(Buffer.copyOf("["));
        assertEquals(38, p.fragmentCount());
        assertEquals("[" + expected, contents(p));
        assertEquals(expected.length() + 1, p.length());
        p.release();
    }

    @Test
    void appendingAPacketMovesItsFragments() {
        Packet head = Packet.of(Buffer.copyOf("ab"), Buffer.copyOf("cd"));
        Packet tail = Packet.of(Buffer.copyOf("ef"), Buffer.copyOf("gh"), Buffer.copyOf("ij"));
        head.append(tail);
        assertEquals("abcdefghij", contents(head));
        assertEquals(5, head.fragmentCount());
        assertEquals(0, tail.fragmentCount());
        assertEquals(0, tail.length());
        tail.append(Buffer.copyOf("reused"));
        assertEquals("reused", contents(tail));
        tail.release();
        head.release();
        assertThrows(IllegalArgumentException.class, () -> head.append(head));
    }

    @Test
    void emptyBuffersAreReleasedRatherThanKept() {
        AtomicInteger releases = new AtomicInteger();
        Buffer hollow = counted("xyz", releases);
        hollow.trim(0);
        Packet p = Packet.of(Buffer.copyOf("a"), Buffer.empty());
        p.append(hollow);
        p.prepend(Buffer.empty());
        assertEquals(1, p.fragmentCount());
        assertEquals(1, releases.get(), "the empty view was released on arrival");
        p.release();
    }

    @Test
    void aReleasedBufferIsRefused() {
        Buffer b = Buffer.copyOf("x");
        b.release();
        Packet p = Packet.empty();
        assertThrows(IllegalArgumentException.class, () -> p.append(b));
        assertThrows(IllegalArgumentException.class, () -> p.prepend(b));
    }

    @Test
    void trimFrontReleasesDroppedFragmentsAndTrimsThePartialOne() {
        AtomicInteger abc = new AtomicInteger(), def = new AtomicInteger(), ghi = new AtomicInteger();
        Packet p = Packet.of(counted("abc", abc), counted("def", def), counted("ghi", ghi));
        p.trimFront(0);
        assertEquals("abcdefghi", contents(p));

        p.trimFront(4);
        assertEquals("efghi", contents(p));
        assertEquals(5, p.length());
        assertEquals(2, p.fragmentCount());
        assertEquals(1, abc.get());
        assertEquals(0, def.get(), "the partly dropped fragment stays");

        p.trimFront(2); // exactly a fragment boundary
        assertEquals("ghi", contents(p));
        assertEquals(1, p.fragmentCount());
        assertEquals(1, def.get());

        assertThrows(IndexOutOfBoundsException.class, () -> p.trimFront(4));
        assertThrows(IndexOutOfBoundsException.class, () -> p.trimFront(-1));
        p.trimFront(3);
        assertEquals(0, p.fragmentCount());
        assertEquals(0, p.length());
        assertEquals(1, ghi.get());
        p.release();
        assertEquals(1, abc.get(), "nothing released twice");
        assertEquals(1, def.get(), "nothing released twice");
        assertEquals(1, ghi.get(), "nothing released twice");
    }

    @Test
    void linearizingOneFragmentCopiesNothing() {
        Buffer only = Buffer.copyOf("single");
        long address = address(only);
        Packet p = Packet.of(only);
        Buffer flat = p.linearize();
        assertEquals(address, address(flat), "the fragment itself is viewed");
        assertEquals("single", flat.toString(StandardCharsets.US_ASCII));
        assertNotSame(only, flat, "a new view the caller releases");
        flat.release();
        assertEquals("single", contents(p), "the packet keeps its own reference");
        p.release();
    }

    @Test
    void linearizingManyFragmentsCopiesThemOnceInOrder() {
        AtomicInteger releases = new AtomicInteger();
        byte[] binary = new byte[300];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) (i * 7);
        }
        Packet p = Packet.of(counted("head-", releases), Buffer.copyOf(binary), counted("-tail", releases));
        Buffer flat = p.linearize();
        byte[] expected = new byte[310];
        System.arraycopy("head-".getBytes(StandardCharsets.US_ASCII), 0, expected, 0, 5);
        System.arraycopy(binary, 0, expected, 5, 300);
        System.arraycopy("-tail".getBytes(StandardCharsets.US_ASCII), 0, expected, 305, 5);
        assertArrayEquals(expected, flat.toArray());
        assertEquals(2, releases.get(), "the copied fragments were released");
        assertEquals(1, p.fragmentCount());
        assertEquals(310, p.length());

        Buffer again = p.linearize();
        assertEquals(address(flat), address(again), "a second linearize copies nothing");
        again.release();
        flat.release();
        p.release();
        assertSame(Buffer.empty(), Packet.empty().linearize());
    }

    @Test
    void aSharedPacketKeepsTheBytesAfterTheOriginalIsReleased() {
        AtomicInteger a = new AtomicInteger(), b = new AtomicInteger();
        Packet original = Packet.of(counted("retrans", a), counted("mit", b));
        Packet copy = original.share();
        assertEquals(original.length(), copy.length());
        assertEquals(2, copy.fragmentCount());

        original.trimFront(3);
        assertEquals("retransmit", contents(copy), "trimming one packet leaves the other");
        original.release();
        assertEquals(0, a.get() + b.get(), "the share still holds every storage");
        assertEquals("retransmit", contents(copy));
        copy.release();
        assertEquals(1, a.get());
        assertEquals(1, b.get());
    }

    @Test
    void releaseReleasesEveryFragmentOnceAndLeavesAReusablePacket() {
        AtomicInteger releases = new AtomicInteger();
        Packet p = Packet.empty();
        for (int i = 0; i < 6; i++) {
            p.append(counted("f" + i, releases));
        }
        p.release();
        assertEquals(6, releases.get());
        assertEquals(0, p.fragmentCount());
        assertEquals(0, p.length());
        p.release();
        assertEquals(6, releases.get(), "a second release has nothing left to release");
        p.append(Buffer.copyOf("next"));
        assertEquals("next", contents(p));
        p.release();
    }
}
