package io.percore.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * A {@code struct msghdr} with its own iovec array and address, in one native allocation: what sendmsg and
 * recvmsg take for vectored writes (a packet's fragments in one call) and for datagrams with a destination or
 * source address.
 *
 * <pre>
 * struct msghdr {                 struct iovec {
 *     void         *msg_name;         void  *iov_base;
 *     socklen_t     msg_namelen;      size_t iov_len;
 *     struct iovec *msg_iov;      };
 *     size_t        msg_iovlen;
 *     void         *msg_control;
 *     size_t        msg_controllen;
 *     int           msg_flags;
 * };                              (64-bit Linux: 56 and 16 bytes)
 * </pre>
 *
 * <p>Fill it with {@link #reset()}, {@link #setIov} for each fragment, {@link #setIovCount}, and
 * {@link #useName(boolean)} when the call carries an address ({@link #name()}). After recvmsg,
 * {@link #receivedNameLength()} and {@link #flags()} report what the kernel wrote.
 *
 * <p>The iovecs hold raw addresses of the caller's segments: those must stay alive until the call (or, with
 * an asynchronous backend, the operation) is done. Thread rules: one owner thread; the memory lives until
 * {@link #close()}, which the owner calls only once no operation uses it. Filling does not allocate.
 */
public final class MsgHdr implements AutoCloseable {
    /** Linux's limit on iovecs per call ({@code IOV_MAX}, {@code UIO_MAXIOV}). */
    public static final int IOV_MAX = 1024;

    /** The msghdr layout (64-bit Linux). */
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ValueLayout.ADDRESS.withName("msg_name"),
            ValueLayout.JAVA_INT.withName("msg_namelen"),
            MemoryLayout.paddingLayout(4),
            ValueLayout.ADDRESS.withName("msg_iov"),
            ValueLayout.JAVA_LONG.withName("msg_iovlen"),
            ValueLayout.ADDRESS.withName("msg_control"),
            ValueLayout.JAVA_LONG.withName("msg_controllen"),
            ValueLayout.JAVA_INT.withName("msg_flags"),
            MemoryLayout.paddingLayout(4)).withName("msghdr");

    /** Bytes of one {@code struct iovec}. */
    public static final long IOVEC_BYTES = 16;

    private static final long NAME = 0, NAMELEN = 8, IOV = 16, IOVLEN = 24, CONTROL = 32, CONTROLLEN = 40, FLAGS = 48;

    /** Null when the memory belongs to an arena the caller manages. */
    private final Arena ownArena;
    private final MemorySegment hdr;
    private final MemorySegment iov;
    private final SockAddr name;
    private final int capacity;

    /**
     * Allocates a msghdr with room for {@code maxIov} iovecs, in a confined arena of the calling thread.
     *
     * @param maxIov 1 to {@link #IOV_MAX}
     */
    public MsgHdr(int maxIov) {
        this(Arena.ofConfined(), true, maxIov);
    }

    /**
     * Allocates a msghdr with room for {@code maxIov} iovecs in {@code arena}, which the caller manages (an
     * automatic arena for a long-lived scratch header); {@link #close()} then does nothing.
     */
    public MsgHdr(Arena arena, int maxIov) {
        this(arena, false, maxIov);
    }

    private MsgHdr(Arena arena, boolean own, int maxIov) {
        if (maxIov < 1 || maxIov > IOV_MAX) {
            if (own) {
                arena.close();
            }
            throw new IllegalArgumentException("iovec count must be 1.." + IOV_MAX + ", got " + maxIov);
        }
        this.capacity = maxIov;
        this.ownArena = own ? arena : null;
        MemorySegment all = arena.allocate(LAYOUT.byteSize() + SockAddr.BYTES + maxIov * IOVEC_BYTES, 16);
        this.hdr = all.asSlice(0, LAYOUT.byteSize());
        this.name = new SockAddr(all.asSlice(LAYOUT.byteSize(), SockAddr.BYTES));
        this.iov = all.asSlice(LAYOUT.byteSize() + SockAddr.BYTES, maxIov * IOVEC_BYTES);
        hdr.set(ValueLayout.ADDRESS, IOV, iov);
    }

    /** @return the msghdr itself, for sendmsg/recvmsg or an asynchronous backend. */
    public MemorySegment segment() {
        return hdr;
    }

    /** @return how many iovecs it can hold. */
    public int capacity() {
        return capacity;
    }

    /** @return the address that {@link #useName(boolean)} attaches: the destination to send to, or the source received. */
    public SockAddr name() {
        return name;
    }

    /** Clears the header: no iovecs, no address, no control data, no flags. */
    public void reset() {
        hdr.set(ValueLayout.ADDRESS, NAME, MemorySegment.NULL);
        hdr.set(ValueLayout.JAVA_INT, NAMELEN, 0);
        hdr.set(ValueLayout.JAVA_LONG, IOVLEN, 0L);
        hdr.set(ValueLayout.ADDRESS, CONTROL, MemorySegment.NULL);
        hdr.set(ValueLayout.JAVA_LONG, CONTROLLEN, 0L);
        hdr.set(ValueLayout.JAVA_INT, FLAGS, 0);
    }

    /**
     * Points iovec {@code i} at {@code length} bytes starting {@code offset} bytes into {@code segment}.
     *
     * @throws IndexOutOfBoundsException when {@code i} is beyond the capacity or the range is outside the segment
     */
    public void setIov(int i, MemorySegment segment, long offset, long length) {
        Objects.checkIndex(i, capacity);
        Objects.checkFromIndexSize(offset, length, segment.byteSize());
        if (!segment.isNative()) {
            throw new IllegalArgumentException("the kernel reads iovecs by address: the segment must be native");
        }
        long at = i * IOVEC_BYTES;
        iov.set(ValueLayout.JAVA_LONG, at, segment.address() + offset);
        iov.set(ValueLayout.JAVA_LONG, at + 8, length);
    }

    /** Sets {@code msg_iovlen}: the first {@code n} iovecs are used. */
    public void setIovCount(int n) {
        Objects.checkIndex(n, capacity + 1);
        hdr.set(ValueLayout.JAVA_LONG, IOVLEN, (long) n);
    }

    /** @return {@code msg_iovlen}. */
    public int iovCount() {
        return (int) hdr.get(ValueLayout.JAVA_LONG, IOVLEN);
    }

    /**
     * Attaches {@link #name()} to the message (on) or sends/receives without an address (off). For sendmsg
     * set the address first; for recvmsg this also makes the whole storage available to the kernel.
     */
    public void useName(boolean on) {
        if (on) {
            hdr.set(ValueLayout.ADDRESS, NAME, name.segment());
            int len = name.length();
            hdr.set(ValueLayout.JAVA_INT, NAMELEN, len == 0 ? SockAddr.STORAGE_SIZE : len);
        } else {
            hdr.set(ValueLayout.ADDRESS, NAME, MemorySegment.NULL);
            hdr.set(ValueLayout.JAVA_INT, NAMELEN, 0);
        }
    }

    /** Prepares {@link #name()} to receive a source address: recvmsg may fill all of its storage. */
    public void expectName() {
        name.prepareForResult();
        useName(true);
    }

    /** @return {@code msg_namelen} as the kernel left it after recvmsg (also copied into {@link #name()}). */
    public int receivedNameLength() {
        int len = hdr.get(ValueLayout.JAVA_INT, NAMELEN);
        name.setLength(Math.min(len, SockAddr.STORAGE_SIZE));
        return len;
    }

    /** @return {@code msg_flags} after recvmsg, e.g. {@link Socket#MSG_TRUNC}. */
    public int flags() {
        return hdr.get(ValueLayout.JAVA_INT, FLAGS);
    }

    /**
     * Frees the memory of a header made with {@link #MsgHdr(int)}. Owner thread, once no call or operation uses
     * the header any more; idempotent.
     */
    @Override
    public void close() {
        if (ownArena != null && ownArena.scope().isAlive()) {
            ownArena.close();
        }
    }
}
