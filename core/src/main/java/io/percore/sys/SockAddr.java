package io.percore.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A socket address in kernel form: a {@code struct sockaddr_storage} (128 bytes) followed by the
 * {@code socklen_t} that says how much of it is used, in one native segment. It is what bind, connect,
 * accept4, getsockname and sendmsg/recvmsg read or fill.
 *
 * <p><b>Layouts</b> (Linux, every architecture): {@code sockaddr_in} is family (u16, host order), port
 * (u16, <em>network</em> order), address (4 bytes, network order), 8 bytes of zero: 16 bytes.
 * {@code sockaddr_in6} is family, port (network order), flow info (u32, network order), address (16 bytes),
 * scope id (u32, <em>host</em> order: an interface index): 28 bytes.
 *
 * <p><b>Dual stack.</b> An IPv4 address given to an IPv6 socket must be written as the v4-mapped IPv6 address
 * {@code ::ffff:a.b.c.d}; {@link #set(InetAddress, int, boolean)} does that when asked. Decoding turns a
 * v4-mapped address back into an {@link Inet4Address}, so an IPv4 client of a dual-stack listener reads as
 * {@code 127.0.0.1}, not {@code ::ffff:127.0.0.1}.
 *
 * <p>This class knows {@code java.net} addresses only; the network layers above convert to their own types.
 *
 * <p>Thread rules: a SockAddr belongs to one thread (its segment may be reached by the kernel during an
 * asynchronous operation that its owner started). Encoding does not allocate; decoding allocates the
 * {@code InetAddress} it returns.
 */
public final class SockAddr {
    /** {@code sizeof(struct sockaddr_storage)}. */
    public static final int STORAGE_SIZE = 128;
    /** Bytes a SockAddr needs: the storage and its {@code socklen_t}. */
    public static final long BYTES = STORAGE_SIZE + 8;
    /** {@code sizeof(struct sockaddr_in)}. */
    public static final int IN4_SIZE = 16;
    /** {@code sizeof(struct sockaddr_in6)}. */
    public static final int IN6_SIZE = 28;

    private static final ValueLayout.OfShort U16_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final long FAMILY = 0, PORT = 2, IN4_ADDR = 4, IN6_FLOWINFO = 4, IN6_ADDR = 8, IN6_SCOPE = 24;
    private static final long LENGTH = STORAGE_SIZE;

    private final MemorySegment region;
    private final MemorySegment storage;
    private final MemorySegment length;

    /**
     * Views {@code region} (at least {@link #BYTES} long, native, 8-byte aligned) as a socket address. The
     * caller owns the memory; it must outlive every operation that uses this address.
     */
    public SockAddr(MemorySegment region) {
        if (!region.isNative() || region.byteSize() < BYTES || region.address() % 8 != 0) {
            throw new IllegalArgumentException("a SockAddr needs a native, 8-byte aligned segment of "
                    + BYTES + " bytes, got " + region);
        }
        this.region = region.asSlice(0, BYTES);
        this.storage = region.asSlice(0, STORAGE_SIZE);
        this.length = region.asSlice(LENGTH, 4);
    }

    /** @return a SockAddr allocated in {@code arena}. */
    public static SockAddr allocate(Arena arena) {
        return new SockAddr(arena.allocate(BYTES, 8));
    }

    /** @return the {@code struct sockaddr} bytes ({@link #STORAGE_SIZE} of them), for a sockaddr pointer. */
    public MemorySegment segment() {
        return storage;
    }

    /** @return the 4-byte {@code socklen_t} slot, for calls that take a {@code socklen_t *} (accept4, getsockname). */
    public MemorySegment lengthSegment() {
        return length;
    }

    /** @return the number of bytes of {@link #segment()} in use (as last set, or as the kernel left it). */
    public int length() {
        return length.get(U32, 0);
    }

    /** Sets the length, e.g. after recvmsg reported it in {@code msg_namelen}. */
    public void setLength(int bytes) {
        Objects.checkIndex(bytes, STORAGE_SIZE + 1);
        length.set(U32, 0, bytes);
    }

    /** Makes the whole storage available for the kernel to fill: the length becomes {@link #STORAGE_SIZE}. */
    public void prepareForResult() {
        length.set(U32, 0, STORAGE_SIZE);
    }

    /**
     * Encodes {@code ip}:{@code port}. Does not allocate.
     *
     * @param forIpv6Socket true when the address goes to an AF_INET6 socket: an IPv4 address is then written
     *                      v4-mapped; false for an AF_INET socket, which takes IPv4 addresses only
     * @return the encoded length (also stored as {@link #length()})
     * @throws IllegalArgumentException for an IPv6 address and an IPv4 socket, or a port outside 0..65535
     */
    public int set(InetAddress ip, int port, boolean forIpv6Socket) {
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        storage.fill((byte) 0);
        if (ip instanceof Inet4Address v4 && !forIpv6Socket) {
            storage.set(U16, FAMILY, (short) Socket.AF_INET);
            storage.set(U16_BE, PORT, (short) port);
            putAddress(v4, IN4_ADDR);
            length.set(U32, 0, IN4_SIZE);
            return IN4_SIZE;
        }
        if (!forIpv6Socket) {
            throw new IllegalArgumentException("an IPv4 socket cannot take the IPv6 address " + ip.getHostAddress());
        }
        storage.set(U16, FAMILY, (short) Socket.AF_INET6);
        storage.set(U16_BE, PORT, (short) port);
        if (ip instanceof Inet4Address v4) {
            // ::ffff:a.b.c.d — bytes 10 and 11 are 0xff, the last four the IPv4 address.
            storage.set(ValueLayout.JAVA_BYTE, IN6_ADDR + 10, (byte) 0xff);
            storage.set(ValueLayout.JAVA_BYTE, IN6_ADDR + 11, (byte) 0xff);
            putAddress(v4, IN6_ADDR + 12);
        } else {
            Inet6Address v6 = (Inet6Address) ip;
            putAddress(v6, IN6_ADDR);
            storage.set(U32, IN6_SCOPE, v6.getScopeId());
        }
        length.set(U32, 0, IN6_SIZE);
        return IN6_SIZE;
    }

    private void putAddress(InetAddress ip, long offset) {
        // getAddress() copies into a fresh array; a few bytes, and the JIT usually scalar-replaces it.
        byte[] raw = ip.getAddress();
        MemorySegment.copy(raw, 0, storage, ValueLayout.JAVA_BYTE, offset, raw.length);
    }

    /** @return {@link Socket#AF_INET}, {@link Socket#AF_INET6}, or another family number (0 when empty). */
    public int family() {
        return Short.toUnsignedInt(storage.get(U16, FAMILY));
    }

    /** @return the port, decoded from network byte order. */
    public int port() {
        return Short.toUnsignedInt(storage.get(U16_BE, PORT));
    }

    /** @return the IPv6 scope id (interface index), 0 for IPv4 or an unscoped address. */
    public int scopeId() {
        return family() == Socket.AF_INET6 ? storage.get(U32, IN6_SCOPE) : 0;
    }

    /**
     * @return the address; an {@link Inet4Address} for AF_INET and for a v4-mapped IPv6 address without scope,
     * else an {@link Inet6Address} carrying the scope id
     * @throws IllegalStateException when the family is neither AF_INET nor AF_INET6
     */
    public InetAddress address() {
        int family = family();
        try {
            if (family == Socket.AF_INET) {
                byte[] raw = new byte[4];
                MemorySegment.copy(storage, ValueLayout.JAVA_BYTE, IN4_ADDR, raw, 0, 4);
                return InetAddress.getByAddress(raw);
            }
            if (family == Socket.AF_INET6) {
                byte[] raw = new byte[16];
                MemorySegment.copy(storage, ValueLayout.JAVA_BYTE, IN6_ADDR, raw, 0, 16);
                int scope = storage.get(U32, IN6_SCOPE);
                // getByAddress turns ::ffff:a.b.c.d into an Inet4Address; with a scope we keep the IPv6 form.
                return scope == 0 ? InetAddress.getByAddress(raw) : Inet6Address.getByAddress(null, raw, scope);
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException("kernel returned a malformed address", e);
        }
        throw new IllegalStateException("not an IP socket address (family " + family + ")");
    }

    /**
     * @return true when the used bytes of this address equal those of {@code other}: the same family, address,
     * port and scope. Does not allocate (receivers use it to reuse the last decoded sender).
     */
    public boolean sameAs(SockAddr other) {
        int n = length();
        return n == other.length() && MemorySegment.mismatch(storage, 0, n, other.storage, 0, n) == -1;
    }

    /** Copies the address bytes and length of {@code other} into this one. */
    public void copyFrom(SockAddr other) {
        MemorySegment.copy(other.region, 0, region, 0, BYTES);
    }

    /** @return "family/port/length" for diagnostics; the address itself via {@link #address()}. */
    @Override
    public String toString() {
        return "SockAddr[family " + family() + ", port " + port() + ", length " + length() + "]";
    }
}
