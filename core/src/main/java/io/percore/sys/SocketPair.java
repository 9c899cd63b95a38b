package io.percore.sys;

import static io.percore.sys.Native.C_INT;
import static io.percore.sys.Native.C_POINTER;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;

/**
 * Connected sockets made the quick way, for tests of reactor backends and for self-checks: unix socketpair(2),
 * and a loopback TCP listener, client and connected pair on 127.0.0.1. Not the socket layer (that is
 * {@code net.posix}); only what a backend test needs to have real sockets to drive.
 *
 * <p>Every descriptor returned is non-blocking and close-on-exec, and owned by the caller. Any thread. These
 * calls allocate; they are not for hot paths.
 */
public final class SocketPair {
    private SocketPair() {}

    public static final int AF_UNIX = 1, AF_INET = 2;
    public static final int SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5;
    /** socket(2)/accept4(2) type flag: non-blocking. */
    public static final int SOCK_NONBLOCK = Fd.O_NONBLOCK;
    /** socket(2)/accept4(2) type flag: close-on-exec. */
    public static final int SOCK_CLOEXEC = Fd.O_CLOEXEC;
    /** Size of a {@code struct sockaddr_in}. */
    public static final int SOCKADDR_IN_SIZE = 16;

    private static final int SOL_SOCKET = 1, SO_REUSEADDR = 2;

    private static final MethodHandle SOCKETPAIR = Native.downcallErrno("socketpair",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER));
    private static final MethodHandle SOCKET = Native.downcallErrno("socket",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT));
    private static final MethodHandle BIND = Native.downcallErrno("bind",
            FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle LISTEN = Native.downcallErrno("listen",
            FunctionDescriptor.of(C_INT, C_INT, C_INT));
    private static final MethodHandle GETSOCKNAME = Native.downcallErrno("getsockname",
            FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));
    private static final MethodHandle CONNECT = Native.downcallErrno("connect",
            FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle ACCEPT4 = Native.downcallErrno("accept4",
            FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER, C_INT));
    private static final MethodHandle SETSOCKOPT = Native.downcallErrno("setsockopt",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER, C_INT));

    /** A listening TCP socket on 127.0.0.1 and the port the kernel gave it. */
    public record Listener(int fd, int port) {}

    /**
     * socketpair(2) in the unix domain.
     *
     * @param type {@link #SOCK_STREAM}, {@link #SOCK_DGRAM} or {@link #SOCK_SEQPACKET}
     * @return two connected descriptors
     * @throws ErrnoException e.g. EMFILE
     */
    public static int[] unix(int type) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(ValueLayout.JAVA_INT, 2);
            int r = (int) SOCKETPAIR.invokeExact(Native.errnoSlot(), AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0, fds);
            if (r < 0) {
                throw new ErrnoException(Native.lastErrno(), "socketpair", "AF_UNIX type " + type);
            }
            return fds.toArray(ValueLayout.JAVA_INT);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** @return a new non-blocking IPv4 TCP socket, neither bound nor connected. */
    public static int tcpSocket() {
        return socket(AF_INET, SOCK_STREAM);
    }

    private static int socket(int domain, int type) {
        int fd;
        try {
            fd = (int) SOCKET.invokeExact(Native.errnoSlot(), domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (fd < 0) {
            throw new ErrnoException(Native.lastErrno(), "socket", "domain " + domain + " type " + type);
        }
        return fd;
    }

    /**
     * @return a non-blocking TCP socket listening on 127.0.0.1 at a port the kernel chose
     * @throws ErrnoException when any step fails (the socket is closed first)
     */
    public static Listener tcpLoopbackListener() {
        int fd = socket(AF_INET, SOCK_STREAM);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(ValueLayout.JAVA_INT);
            one.set(ValueLayout.JAVA_INT, 0, 1);
            check((int) SETSOCKOPT.invokeExact(Native.errnoSlot(), fd, SOL_SOCKET, SO_REUSEADDR, one, 4), "setsockopt");
            MemorySegment addr = arena.allocate(SOCKADDR_IN_SIZE, 4);
            putLoopback(addr, 0);
            check((int) BIND.invokeExact(Native.errnoSlot(), fd, addr, SOCKADDR_IN_SIZE), "bind");
            check((int) LISTEN.invokeExact(Native.errnoSlot(), fd, 128), "listen");
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, SOCKADDR_IN_SIZE);
            check((int) GETSOCKNAME.invokeExact(Native.errnoSlot(), fd, addr, len), "getsockname");
            return new Listener(fd, port(addr));
        } catch (Throwable t) {
            Fd.close(fd);
            throw Native.rethrow(t);
        }
    }

    /**
     * A connected loopback TCP pair: a client connects to a fresh listener, which accepts it and is closed.
     *
     * @return {@code {client, server}}
     */
    public static int[] tcpLoopback() {
        Listener listener = tcpLoopbackListener();
        int client = -1;
        try (Arena arena = Arena.ofConfined()) {
            client = socket(AF_INET, SOCK_STREAM);
            MemorySegment addr = arena.allocate(SOCKADDR_IN_SIZE, 4);
            putLoopback(addr, listener.port());
            int r = (int) CONNECT.invokeExact(Native.errnoSlot(), client, addr, SOCKADDR_IN_SIZE);
            if (r < 0 && Native.lastErrno() != Errno.EINPROGRESS) {
                throw new ErrnoException(Native.lastErrno(), "connect", "127.0.0.1:" + listener.port());
            }
            // The listener is non-blocking: the handshake on loopback finishes within microseconds.
            long deadline = System.nanoTime() + 5_000_000_000L;
            for (;;) {
                int server = (int) ACCEPT4.invokeExact(Native.errnoSlot(), listener.fd(), MemorySegment.NULL,
                        MemorySegment.NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (server >= 0) {
                    return new int[] {client, server};
                }
                int errno = Native.lastErrno();
                if (errno != Errno.EAGAIN || System.nanoTime() - deadline > 0) {
                    throw new ErrnoException(errno, "accept4", "loopback port " + listener.port());
                }
                Thread.onSpinWait();
            }
        } catch (Throwable t) {
            if (client >= 0) {
                Fd.close(client);
            }
            throw Native.rethrow(t);
        } finally {
            Fd.close(listener.fd());
        }
    }

    /** Writes a {@code struct sockaddr_in} for 127.0.0.1:{@code port} into the first 16 bytes of {@code sockaddr}. */
    public static void putLoopback(MemorySegment sockaddr, int port) {
        sockaddr.asSlice(0, SOCKADDR_IN_SIZE).fill((byte) 0);
        sockaddr.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
        sockaddr.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) port);
        sockaddr.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4, 0x7f000001);
    }

    /** @return the port of the {@code struct sockaddr_in} at the start of {@code sockaddr}. */
    public static int port(MemorySegment sockaddr) {
        return Short.toUnsignedInt(sockaddr.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 2));
    }

    private static void check(int r, String call) {
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), call, "loopback listener");
        }
    }
}
