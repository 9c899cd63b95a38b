package io.percore.sys;

import static io.percore.sys.Native.C_INT;
import static io.percore.sys.Native.C_LONG;
import static io.percore.sys.Native.C_POINTER;
import static io.percore.sys.Native.C_SIZE_T;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Objects;

/**
 * BSD socket calls on non-blocking descriptors: socket, bind, listen, accept4, connect, recv, send, sendmsg,
 * recvmsg, shutdown, socket options, getsockname and getpeername.
 *
 * <p><b>Non-blocking by construction.</b> {@link #open} always adds {@code SOCK_NONBLOCK | SOCK_CLOEXEC} and
 * {@link #accept} always passes them to accept4, so no descriptor made here can block a shard or leak into an
 * exec'd child. "Would block" is a normal answer a reactor waits on, not an error: the data calls return -1 for
 * EAGAIN, {@link #accept} returns -1, {@link #connect} returns {@link #IN_PROGRESS} for EINPROGRESS. EINTR is
 * retried. Every other failure throws {@link ErrnoException}, whose {@link ErrnoException#errno()} the network
 * layer turns into a typed exception.
 *
 * <p><b>No SIGPIPE.</b> {@link #send} and {@link #sendmsg} always add {@link #MSG_NOSIGNAL}: writing to a
 * connection the peer reset fails with EPIPE instead of signalling the process.
 *
 * <p><b>No allocation.</b> The data calls and accept/connect allocate nothing: addresses come in
 * {@link SockAddr}s, vectors in {@link MsgHdr}s, both preallocated by their owner, and option values go
 * through a per-thread scratch segment. Constant values are Linux's (the same on x86_64 and aarch64).
 *
 * <p>Thread-safety: any thread; the kernel serialises calls on one descriptor. Buffers must be native.
 */
public final class Socket {
    private Socket() {}

    /** IPv4. */
    public static final int AF_INET = 2;
    /** IPv6. */
    public static final int AF_INET6 = 10;
    /** A byte stream (TCP). */
    public static final int SOCK_STREAM = 1;
    /** Datagrams (UDP). */
    public static final int SOCK_DGRAM = 2;
    /** Type flag: the descriptor is non-blocking. */
    public static final int SOCK_NONBLOCK = Fd.O_NONBLOCK;
    /** Type flag: the descriptor is closed on exec. */
    public static final int SOCK_CLOEXEC = Fd.O_CLOEXEC;

    /** Option level of the socket itself. */
    public static final int SOL_SOCKET = 1;
    public static final int SO_REUSEADDR = 2;
    /** Read-only: the pending error (how a non-blocking connect ended), cleared by reading. */
    public static final int SO_ERROR = 4;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_KEEPALIVE = 9;
    /** {@code struct linger}: with on and 0 seconds, close resets the connection. */
    public static final int SO_LINGER = 13;
    public static final int SO_REUSEPORT = 15;

    /** Option level of TCP. */
    public static final int IPPROTO_TCP = 6;
    /** Option level of UDP. */
    public static final int IPPROTO_UDP = 17;
    public static final int TCP_NODELAY = 1;
    public static final int TCP_KEEPIDLE = 4;
    public static final int TCP_KEEPINTVL = 5;
    public static final int TCP_KEEPCNT = 6;
    /** SYN retransmissions before a connect gives up. */
    public static final int TCP_SYNCNT = 7;

    /** Option level of IPv6. */
    public static final int IPPROTO_IPV6 = 41;
    /** On: an AF_INET6 socket speaks IPv6 only; off: it also takes IPv4 (v4-mapped), "dual stack". */
    public static final int IPV6_V6ONLY = 26;

    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;

    /** Look at data without taking it. */
    public static final int MSG_PEEK = 0x02;
    /** recvmsg: the datagram was longer than the buffers (msg_flags); recv: return the real length. */
    public static final int MSG_TRUNC = 0x20;
    /** Do not block this call even on a blocking descriptor. */
    public static final int MSG_DONTWAIT = 0x40;
    /** Do not raise SIGPIPE when the peer is gone; fail with EPIPE. */
    public static final int MSG_NOSIGNAL = 0x4000;

    /** {@link #connect} result: the connection is being established; wait until writable, then read SO_ERROR. */
    public static final int IN_PROGRESS = 1;

    private static final MethodHandle SOCKET =
            Native.downcallErrno("socket", FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT));
    private static final MethodHandle BIND =
            Native.downcallErrno("bind", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle LISTEN =
            Native.downcallErrno("listen", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    private static final MethodHandle ACCEPT4 =
            Native.downcallErrno("accept4", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER, C_INT));
    private static final MethodHandle CONNECT =
            Native.downcallErrno("connect", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle RECV =
            Native.downcallErrno("recv", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_SIZE_T, C_INT));
    private static final MethodHandle SEND =
            Native.downcallErrno("send", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_SIZE_T, C_INT));
    private static final MethodHandle SENDMSG =
            Native.downcallErrno("sendmsg", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_INT));
    private static final MethodHandle RECVMSG =
            Native.downcallErrno("recvmsg", FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_INT));
    private static final MethodHandle SHUTDOWN =
            Native.downcallErrno("shutdown", FunctionDescriptor.of(C_INT, C_INT, C_INT));
    private static final MethodHandle SETSOCKOPT = Native.downcallErrno("setsockopt",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle GETSOCKOPT = Native.downcallErrno("getsockopt",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER, C_POINTER));
    private static final MethodHandle GETSOCKNAME =
            Native.downcallErrno("getsockname", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));
    private static final MethodHandle GETPEERNAME =
            Native.downcallErrno("getpeername", FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER));

    /**
     * Creates a non-blocking, close-on-exec socket.
     *
     * @param family {@link #AF_INET} or {@link #AF_INET6}
     * @param type   {@link #SOCK_STREAM} or {@link #SOCK_DGRAM}
     * @return the descriptor, owned by the caller
     * @throws ErrnoException e.g. EMFILE, EAFNOSUPPORT
     */
    public static int open(int family, int type) {
        int fd;
        try {
            fd = (int) SOCKET.invokeExact(Native.errnoSlot(), family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (fd < 0) {
            throw new ErrnoException(Native.lastErrno(), "socket", "family " + family + ", type " + type);
        }
        return fd;
    }

    /**
     * Binds {@code fd} to {@code address}.
     *
     * @throws ErrnoException e.g. EADDRINUSE, EADDRNOTAVAIL, EACCES
     */
    public static void bind(int fd, SockAddr address) {
        int r;
        try {
            r = (int) BIND.invokeExact(Native.errnoSlot(), fd, address.segment(), address.length());
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "bind", "fd " + fd);
        }
    }

    /**
     * Marks a bound stream socket as listening.
     *
     * @param backlog the accept queue's length (the kernel caps it at net.core.somaxconn)
     * @throws ErrnoException e.g. EADDRINUSE when another socket listens on the port
     */
    public static void listen(int fd, int backlog) {
        int r;
        try {
            r = (int) LISTEN.invokeExact(Native.errnoSlot(), fd, backlog);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "listen", "fd " + fd);
        }
    }

    /**
     * Takes a connection from a listening socket's queue; the new descriptor is non-blocking and close-on-exec.
     * Does not allocate.
     *
     * @param peer receives the peer's address, or null when not wanted
     * @return the new descriptor, or -1 when none is waiting (EAGAIN)
     * @throws ErrnoException e.g. ECONNABORTED (a queued connection was reset; accept again), EMFILE
     */
    public static int accept(int fd, SockAddr peer) {
        MemorySegment addr = MemorySegment.NULL;
        MemorySegment len = MemorySegment.NULL;
        if (peer != null) {
            peer.prepareForResult();
            addr = peer.segment();
            len = peer.lengthSegment();
        }
        try {
            for (;;) {
                int r = (int) ACCEPT4.invokeExact(Native.errnoSlot(), fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (r >= 0) {
                    return r;
                }
                if (Native.wouldBlock("accept4", fd)) {
                    return -1;
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Starts connecting {@code fd} to {@code address}. Does not allocate.
     *
     * @return 0 when connected at once, {@link #IN_PROGRESS} when the handshake goes on (EINPROGRESS): wait until
     * writable, then {@link #pendingError}
     * @throws ErrnoException e.g. ECONNREFUSED, ENETUNREACH
     */
    public static int connect(int fd, SockAddr address) {
        int r;
        try {
            r = (int) CONNECT.invokeExact(Native.errnoSlot(), fd, address.segment(), address.length());
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r == 0) {
            return 0;
        }
        int errno = Native.lastErrno();
        // EINTR on a non-blocking connect also leaves the handshake going on.
        if (errno == Errno.EINPROGRESS || errno == Errno.EINTR) {
            return IN_PROGRESS;
        }
        throw new ErrnoException(errno, "connect", "fd " + fd);
    }

    /**
     * Receives up to {@code length} bytes into the start of {@code buf}. Does not allocate.
     *
     * @return bytes received, 0 at end of stream (or for an empty datagram), -1 when nothing is waiting (EAGAIN)
     * @throws ErrnoException e.g. ECONNRESET
     */
    public static long recv(int fd, MemorySegment buf, long length, int flags) {
        Objects.checkFromIndexSize(0L, length, buf.byteSize());
        try {
            for (;;) {
                long n = (long) RECV.invokeExact(Native.errnoSlot(), fd, buf, length, flags);
                if (n >= 0) {
                    return n;
                }
                if (Native.wouldBlock("recv", fd)) {
                    return -1;
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Sends up to {@code length} bytes from the start of {@code buf}, with {@link #MSG_NOSIGNAL} added.
     * Does not allocate.
     *
     * @return bytes sent (possibly fewer), or -1 when the send buffer is full (EAGAIN)
     * @throws ErrnoException e.g. EPIPE or ECONNRESET when the peer is gone
     */
    public static long send(int fd, MemorySegment buf, long length, int flags) {
        Objects.checkFromIndexSize(0L, length, buf.byteSize());
        try {
            for (;;) {
                long n = (long) SEND.invokeExact(Native.errnoSlot(), fd, buf, length,
                        flags | MSG_NOSIGNAL);
                if (n >= 0) {
                    return n;
                }
                if (Native.wouldBlock("send", fd)) {
                    return -1;
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * sendmsg(2) with {@link #MSG_NOSIGNAL} added: the iovecs of {@code msg} in one call, to its name when
     * {@link MsgHdr#useName(boolean)} is on. Does not allocate.
     *
     * @return bytes sent (a stream socket may take fewer), or -1 on EAGAIN
     * @throws ErrnoException e.g. EPIPE, EMSGSIZE (a datagram too long)
     */
    public static long sendmsg(int fd, MsgHdr msg, int flags) {
        try {
            for (;;) {
                long n = (long) SENDMSG.invokeExact(Native.errnoSlot(), fd, msg.segment(), flags | MSG_NOSIGNAL);
                if (n >= 0) {
                    return n;
                }
                if (Native.wouldBlock("sendmsg", fd)) {
                    return -1;
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * recvmsg(2) into the iovecs of {@code msg}; the source address lands in its name when
     * {@link MsgHdr#expectName()} was called. Does not allocate.
     *
     * @return bytes received (for a datagram, its length if it fit; check {@link MsgHdr#flags()} for
     * {@link #MSG_TRUNC}), or -1 on EAGAIN
     * @throws ErrnoException on failure
     */
    public static long recvmsg(int fd, MsgHdr msg, int flags) {
        try {
            for (;;) {
                long n = (long) RECVMSG.invokeExact(Native.errnoSlot(), fd, msg.segment(), flags);
                if (n >= 0) {
                    msg.receivedNameLength();
                    return n;
                }
                if (Native.wouldBlock("recvmsg", fd)) {
                    return -1;
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Shuts down one or both directions ({@link #SHUT_RD}, {@link #SHUT_WR}, {@link #SHUT_RDWR}).
     *
     * @throws ErrnoException e.g. ENOTCONN when the socket is not connected
     */
    public static void shutdown(int fd, int how) {
        int r;
        try {
            r = (int) SHUTDOWN.invokeExact(Native.errnoSlot(), fd, how);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "shutdown", "fd " + fd + ", how " + how);
        }
    }

    /**
     * Sets an int-valued option ({@link #TCP_NODELAY}, {@link #SO_REUSEADDR}, {@link #SO_KEEPALIVE}, …).
     * Does not allocate.
     *
     * @throws ErrnoException e.g. ENOPROTOOPT, EINVAL
     */
    public static void setOption(int fd, int level, int option, int value) {
        MemorySegment v = Scratch.get();
        v.set(ValueLayout.JAVA_INT, 0, value);
        int r;
        try {
            r = (int) SETSOCKOPT.invokeExact(Native.errnoSlot(), fd, level, option, v, Integer.BYTES);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "setsockopt",
                    "fd " + fd + ", level " + level + ", option " + option + ", value " + value);
        }
    }

    /**
     * Reads an int-valued option. Does not allocate.
     *
     * @throws ErrnoException e.g. ENOPROTOOPT
     */
    public static int getOption(int fd, int level, int option) {
        MemorySegment s = Scratch.get();
        MemorySegment value = s.asSlice(0, 4);
        MemorySegment len = s.asSlice(8, 4);
        len.set(ValueLayout.JAVA_INT, 0, Integer.BYTES);
        int r;
        try {
            r = (int) GETSOCKOPT.invokeExact(Native.errnoSlot(), fd, level, option, value, len);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "getsockopt",
                    "fd " + fd + ", level " + level + ", option " + option);
        }
        return value.get(ValueLayout.JAVA_INT, 0);
    }

    /**
     * Sets SO_LINGER. With {@code on} and 0 seconds, close discards unsent data and resets the connection
     * (RST instead of FIN), which is how a peer "dies" abruptly.
     */
    public static void setLinger(int fd, boolean on, int seconds) {
        MemorySegment v = Scratch.get();
        v.set(ValueLayout.JAVA_INT, 0, on ? 1 : 0);
        v.set(ValueLayout.JAVA_INT, 4, seconds);
        int r;
        try {
            r = (int) SETSOCKOPT.invokeExact(Native.errnoSlot(), fd, SOL_SOCKET, SO_LINGER, v, 8);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "setsockopt", "fd " + fd + ", SO_LINGER");
        }
    }

    /** @return the pending error (SO_ERROR), 0 when none; reading clears it. How a non-blocking connect ended. */
    public static int pendingError(int fd) {
        return getOption(fd, SOL_SOCKET, SO_ERROR);
    }

    /**
     * Writes the local address of {@code fd} into {@code into}.
     *
     * @throws ErrnoException e.g. EBADF
     */
    public static void localAddress(int fd, SockAddr into) {
        into.prepareForResult();
        int r;
        try {
            r = (int) GETSOCKNAME.invokeExact(Native.errnoSlot(), fd, into.segment(), into.lengthSegment());
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "getsockname", "fd " + fd);
        }
    }

    /**
     * Writes the peer address of a connected {@code fd} into {@code into}.
     *
     * @throws ErrnoException ENOTCONN when not connected
     */
    public static void peerAddress(int fd, SockAddr into) {
        into.prepareForResult();
        int r;
        try {
            r = (int) GETPEERNAME.invokeExact(Native.errnoSlot(), fd, into.segment(), into.lengthSegment());
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "getpeername", "fd " + fd);
        }
    }
}
