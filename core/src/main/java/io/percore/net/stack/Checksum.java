package io.percore.net.stack;

import io.percore.memory.Packet;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The Internet checksum (RFC 1071): a one's-complement sum of 16-bit words. Sums are accumulated unfolded in a
 * {@code long} (32-bit words added, folded at the end), which is exact for anything shorter than 2^32 words.
 */
final class Checksum {
    private Checksum() {}

    /** @return the unfolded sum of {@code len} bytes at {@code off}, as if they started at an even offset. */
    static long sum(MemorySegment s, long off, int len) {
        long sum = 0;
        int i = 0;
        for (; i + 4 <= len; i += 4) {
            sum += s.get(Bytes.U32, off + i) & 0xffffffffL;
        }
        if (i + 2 <= len) {
            sum += s.get(Bytes.U16, off + i) & 0xffff;
            i += 2;
        }
        if (i < len) {
            sum += (s.get(ValueLayout.JAVA_BYTE, off + i) & 0xff) << 8;
        }
        return sum;
    }

    /** @return {@code sum} folded to 16 bits (not complemented). */
    static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** @return the checksum field value for {@code sum}: folded and complemented. */
    static int finish(long sum) {
        return ~fold(sum) & 0xffff;
    }

    /** @return the unfolded sum of the packet's bytes from {@code from}, fragments joined at any byte offset. */
    static long sum(Packet p, long from) {
        long total = 0;
        long pos = 0;
        long odd = 0;
        for (int i = 0; i < p.fragmentCount(); i++) {
            MemorySegment s = p.fragment(i).segment();
            long len = s.byteSize();
            long start = Math.max(0, from - pos);
            if (start < len) {
                int part = fold(sum(s, start, (int) (len - start)));
                // A fragment starting at an odd offset of the message has its bytes in swapped word halves.
                total += (odd & 1) == 0 ? part : ((part & 0xff) << 8) | (part >>> 8);
                odd += len - start;
            }
            pos += len;
        }
        return total;
    }

    /** @return the unfolded IPv4 pseudo-header sum. */
    static long pseudo4(int src, int dst, int protocol, int length) {
        return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + protocol + length;
    }

    /** @return the unfolded IPv6 pseudo-header sum. */
    static long pseudo6(IpAddr src, IpAddr dst, int protocol, int length) {
        return words(src.hi()) + words(src.lo()) + words(dst.hi()) + words(dst.lo()) + protocol + length;
    }

    private static long words(long v) {
        return (v >>> 48) + ((v >>> 32) & 0xffff) + ((v >>> 16) & 0xffff) + (v & 0xffff);
    }
}
