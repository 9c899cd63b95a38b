package io.percore.net.stack;

import io.percore.memory.Buffer;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * IPv4 and IPv6 fragment reassembly for one shard, with limits: at most 64 datagrams and 4 MiB of fragments at once,
 * 30 s to complete, 64 KiB per datagram. Overlapping fragments (RFC 5722; also the classic IPv4 evasion trick)
 * make the whole datagram be dropped, never merged.
 */
final class Reassembly {
    static final int MAX_DATAGRAMS = 64;
    static final long MAX_BYTES = 4 << 20;
    static final long TIMEOUT_NANOS = 30_000_000_000L;

    record Key(IpAddr src, IpAddr dst, int id, int protocol) {}

    private static final class Pending {
        final TreeMap<Integer, Buffer> parts = new TreeMap<>();
        final long deadline;
        int total = -1;
        int bytes;
        /** The first fragment's IP header (IPv4) or the fixed header (IPv6), copied. */
        byte[] header;

        Pending(long deadline) {
            this.deadline = deadline;
        }

        void release() {
            parts.values().forEach(Buffer::release);
            parts.clear();
        }
    }

    private final HashMap<Key, Pending> pending = new HashMap<>();
    private final StackCounters counters;
    private long bytes;

    Reassembly(StackCounters counters) {
        this.counters = counters;
    }

    /**
     * Adds a fragment's payload (this call owns it).
     *
     * @param header     the unfragmentable header to rebuild the datagram with (only read for offset 0)
     * @param offset     payload offset in bytes
     * @param more       the more-fragments flag
     * @return once complete, the saved header followed by the whole payload (the caller owns it and fixes the
     *         header's length fields), otherwise null
     */
    Buffer add(Key key, byte[] header, int offset, boolean more, Buffer payload) {
        expire();
        counters.fragments++;
        int len = payload.length();
        if (offset + len > 65535 || (more && (len & 7) != 0)) {
            counters.reassemblyFailed++;
            payload.release();
            drop(key);
            return null;
        }
        Pending p = pending.get(key);
        if (p == null) {
            if (pending.size() >= MAX_DATAGRAMS || bytes + len > MAX_BYTES) {
                counters.reassemblyFailed++;
                payload.release();
                return null;
            }
            p = new Pending(System.nanoTime() + TIMEOUT_NANOS);
            pending.put(key, p);
        }
        // Overlap with a neighbour, or a second last fragment that disagrees, poisons the datagram.
        Map.Entry<Integer, Buffer> before = p.parts.floorEntry(offset);
        Map.Entry<Integer, Buffer> after = p.parts.ceilingEntry(offset);
        boolean overlap = (before != null && before.getKey() + before.getValue().length() > offset)
                || (after != null && after.getKey() < offset + len)
                || (!more && p.total >= 0 && p.total != offset + len)
                || (p.total >= 0 && offset + len > p.total);
        if (overlap || bytes + len > MAX_BYTES) {
            counters.reassemblyFailed++;
            payload.release();
            drop(key);
            return null;
        }
        if (!more) {
            p.total = offset + len;
        }
        if (offset == 0) {
            p.header = header;
        }
        p.parts.put(offset, payload);
        p.bytes += len;
        bytes += len;
        if (p.total < 0 || p.bytes != p.total || p.header == null) {
            return null;
        }
        pending.remove(key);
        bytes -= p.bytes;
        int h = p.header.length;
        Buffer whole = Buffer.allocate(h + p.total);
        MemorySegment target = whole.segment();
        MemorySegment.copy(p.header, 0, target, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, h);
        for (Map.Entry<Integer, Buffer> e : p.parts.entrySet()) {
            MemorySegment.copy(e.getValue().segment(), 0, target, h + e.getKey(), e.getValue().length());
        }
        p.release();
        counters.reassembled++;
        return whole;
    }

    /** @return a heap copy of the first {@code len} bytes of {@code s} (a header to rebuild a datagram with). */
    static byte[] headerCopyOf(MemorySegment s, int len) {
        byte[] b = new byte[len];
        MemorySegment.copy(s, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, b, 0, len);
        return b;
    }

    private void drop(Key key) {
        Pending p = pending.remove(key);
        if (p != null) {
            bytes -= p.bytes;
            p.release();
        }
    }

    /** Drops datagrams past their deadline. */
    void expire() {
        if (pending.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        Iterator<Pending> it = pending.values().iterator();
        while (it.hasNext()) {
            Pending p = it.next();
            if (now - p.deadline > 0) {
                bytes -= p.bytes;
                p.release();
                it.remove();
                counters.reassemblyFailed++;
            }
        }
    }

    void clear() {
        pending.values().forEach(Pending::release);
        pending.clear();
        bytes = 0;
    }
}
