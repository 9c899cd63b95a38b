package io.percore.sys;

import static io.percore.sys.Native.C_INT;
import static io.percore.sys.Native.C_LONG;
import static io.percore.sys.Native.C_POINTER;
import static io.percore.sys.Native.C_SIZE_T;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * A non-blocking datagram-style socket: a raw IP socket of one protocol (SCTP's 132, which needs CAP_NET_RAW) or a
 * UDP socket, with {@code sendto}/{@code recvfrom} through buffers it owns, so that a send or receive allocates
 * nothing native. One owner thread (the shard's); close it once.
 *
 * <p>Raw IPv4 sockets receive the IP header in front of the payload and send without one (the kernel adds it);
 * raw IPv6 sockets neither receive nor send one. UDP sockets carry payload only.
 */
public final class RawSocket implements AutoCloseable {
    /** Address families. */
    public static final int AF_INET = 2, AF_INET6 = 10;
    /** Socket types and their flags. */
    public static final int SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_NONBLOCK = 0_4000, SOCK_CLOEXEC = 0_2000000;
    /** Protocols. */
    public static final int IPPROTO_UDP = 17, IPPROTO_SCTP = 132;
    /** Option levels and names. */
    public static final int SOL_SOCKET = 1, SO_REUSEADDR = 2, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_REUSEPORT = 15,
            IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26;

    private static final MethodHandle SOCKET = Native.downcallErrno("socket",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT));
    private static final MethodHandle BIND = Native.downcallErrno("bind",
            FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle SETSOCKOPT = Native.downcallErrno("setsockopt",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle GETSOCKNAME = Native.downcallErrno("getsockname",
            FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));
    private static final MethodHandle SENDTO = Native.downcallErrno("sendto",
            FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_SIZE_T, C_INT, C_POINTER, C_INT));
    private static final MethodHandle RECVFROM = Native.downcallErrno("recvfrom",
            FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_SIZE_T, C_INT, C_POINTER, C_POINTER));

    private static final ValueLayout.OfShort NET_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int SOCKADDR_SIZE = 28; // sockaddr_in6, the larger of the two

    private final int fd;
    private final int family;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    private final MemorySegment addr;
    private final MemorySegment addrLen;
    private final MemorySegment intValue;
    private final byte[] v4 = new byte[4];
    private final byte[] v6 = new byte[16];
    private boolean closed;

    private RawSocket(int fd, int family, int bufferSize) {
        this.fd = fd;
        this.family = family;
        this.buffer = arena.allocate(bufferSize, 16);
        this.addr = arena.allocate(SOCKADDR_SIZE, 8);
        this.addrLen = arena.allocate(4, 4);
        this.intValue = arena.allocate(4, 4);
    }

    /**
     * Opens a non-blocking, close-on-exec socket.
     *
     * @param ipv6     AF_INET6 when true, AF_INET otherwise
     * @param type     {@link #SOCK_RAW} or {@link #SOCK_DGRAM}
     * @param protocol e.g. {@link #IPPROTO_SCTP} or {@link #IPPROTO_UDP}
     * @throws ErrnoException e.g. EPERM for a raw socket without CAP_NET_RAW
     */
    public static RawSocket open(boolean ipv6, int type, int protocol) {
        int family = ipv6 ? AF_INET6 : AF_INET;
        int fd;
        try {
            fd = (int) SOCKET.invokeExact(Native.errnoSlot(), family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        Native.check(fd, "socket");
        try {
            return new RawSocket(fd, family, 65536 + 64);
        } catch (RuntimeException | Error e) {
            Fd.close(fd);
            throw e;
        }
    }

    /** @return the descriptor (for readiness waits). */
    public int fd() {
        return fd;
    }

    /** @return true for an AF_INET6 socket. */
    public boolean isIpv6() {
        return family == AF_INET6;
    }

    /** Sets an int socket option. */
    public void setOption(int level, int name, int value) {
        intValue.set(ValueLayout.JAVA_INT, 0, value);
        int r;
        try {
            r = (int) SETSOCKOPT.invokeExact(Native.errnoSlot(), fd, level, name, intValue, 4);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        Native.check(r, "setsockopt");
    }

    /** Binds to {@code ip} (null: the wildcard) and {@code port} (0 for raw sockets or an ephemeral UDP port). */
    public void bind(InetAddress ip, int port) {
        int len = putAddress(ip, port);
        int r;
        try {
            r = (int) BIND.invokeExact(Native.errnoSlot(), fd, addr, len);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        Native.check(r, "bind");
    }

    /** @return the bound local port (UDP). */
    public int localPort() {
        addrLen.set(ValueLayout.JAVA_INT, 0, SOCKADDR_SIZE);
        int r;
        try {
            r = (int) GETSOCKNAME.invokeExact(Native.errnoSlot(), fd, addr, addrLen);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        Native.check(r, "getsockname");
        return addr.get(NET_SHORT, 2) & 0xFFFF;
    }

    /**
     * Sends {@code len} bytes of {@code data} from {@code off} to {@code ip}/{@code port}.
     *
     * @return bytes sent, or -1 when the socket buffer is full (EAGAIN)
     * @throws ErrnoException on other failures (e.g. ENETUNREACH)
     */
    public long sendTo(byte[] data, int off, int len, InetAddress ip, int port) {
        MemorySegment.copy(data, off, buffer, ValueLayout.JAVA_BYTE, 0, len);
        int alen = putAddress(ip, port);
        try {
            for (;;) {
                long n = (long) SENDTO.invokeExact(Native.errnoSlot(), fd, buffer, (long) len, 0, addr, alen);
                if (n >= 0) {
                    return n;
                }
                if (Native.wouldBlock("sendto", fd)) {
                    return -1;
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Receives one datagram into {@code into} (at most its length).
     *
     * @return its length, or -1 when nothing is waiting (EAGAIN); the sender is then {@link #lastSender()} /
     * {@link #lastSenderPort()}
     */
    public int receiveFrom(byte[] into) {
        addrLen.set(ValueLayout.JAVA_INT, 0, SOCKADDR_SIZE);
        long cap = Math.min(into.length, buffer.byteSize());
        try {
            for (;;) {
                long n = (long) RECVFROM.invokeExact(Native.errnoSlot(), fd, buffer, cap, 0, addr, addrLen);
                if (n >= 0) {
                    MemorySegment.copy(buffer, ValueLayout.JAVA_BYTE, 0, into, 0, (int) n);
                    return (int) n;
                }
                if (Native.wouldBlock("recvfrom", fd)) {
                    return -1;
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** @return the sender's address of the last {@link #receiveFrom}. */
    public InetAddress lastSender() {
        try {
            if (addr.get(ValueLayout.JAVA_SHORT, 0) == AF_INET6) {
                MemorySegment.copy(addr, ValueLayout.JAVA_BYTE, 8, v6, 0, 16);
                int scope = addr.get(ValueLayout.JAVA_INT, 24);
                // A link-local sender is reachable only through the interface it came over: keep its scope.
                return scope == 0 ? InetAddress.getByAddress(v6) : Inet6Address.getByAddress(null, v6, scope);
            }
            MemorySegment.copy(addr, ValueLayout.JAVA_BYTE, 4, v4, 0, 4);
            return InetAddress.getByAddress(v4);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen: 4 or 16 bytes
        }
    }

    /** @return the sender's port of the last {@link #receiveFrom} (0 for raw sockets). */
    public int lastSenderPort() {
        return addr.get(NET_SHORT, 2) & 0xFFFF;
    }

    private int putAddress(InetAddress ip, int port) {
        addr.fill((byte) 0);
        if (family == AF_INET6) {
            addr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET6);
            addr.set(NET_SHORT, 2, (short) port);
            byte[] raw;
            if (ip == null) {
                raw = new byte[16];
            } else if (ip instanceof Inet4Address) {
                raw = new byte[16]; // v4-mapped, for dual-stack sockets
                raw[10] = (byte) 0xFF;
                raw[11] = (byte) 0xFF;
                System.arraycopy(ip.getAddress(), 0, raw, 12, 4);
            } else {
                raw = ip.getAddress();
                addr.set(ValueLayout.JAVA_INT, 24, ((Inet6Address) ip).getScopeId());
            }
            MemorySegment.copy(raw, 0, addr, ValueLayout.JAVA_BYTE, 8, 16);
            return 28;
        }
        if (ip instanceof Inet6Address) {
            throw new IllegalArgumentException("IPv6 address on an IPv4 socket: " + ip);
        }
        addr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
        addr.set(NET_SHORT, 2, (short) port);
        if (ip != null) {
            MemorySegment.copy(ip.getAddress(), 0, addr, ValueLayout.JAVA_BYTE, 4, 4);
        }
        return 16;
    }

    /** Closes the descriptor and frees the buffers. Call {@code ReactorBackend.forget} first. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Fd.close(fd);
            arena.close();
        }
    }
}
