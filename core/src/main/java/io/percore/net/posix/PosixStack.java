package io.percore.net.posix;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import io.percore.core.Timer;
import io.percore.net.ConnectedSocket;
import io.percore.net.ListenOptions;
import io.percore.net.NetException;
import io.percore.net.NetworkStack;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import io.percore.net.UdpChannel;
import io.percore.reactor.PollableFd;
import io.percore.reactor.ReactorBackend;
import io.percore.reactor.Readiness;
import io.percore.reactor.SocketOps;
import io.percore.smp.Smp;
import io.percore.sys.ErrnoException;
import io.percore.sys.Fd;
import io.percore.sys.MsgHdr;
import io.percore.sys.SockAddr;
import io.percore.sys.Socket;
import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.Objects;

/**
 * The kernel's TCP/IP stack driven by a shard's reactor backend: one instance per shard (see
 * {@link io.percore.net.Network#stack()}), used on that shard only.
 *
 * <p><b>Two I/O paths.</b> Over a readiness backend (epoll, linux-aio) every operation first tries the
 * non-blocking system call and, on EAGAIN, waits with {@link ReactorBackend#pollReady} before trying again.
 * Over a completion backend (io_uring: {@link ReactorBackend#socketOps()} is not null) operations are
 * submitted as they are — recv, send, sendmsg, recvmsg, accept, connect — and their buffers, iovecs and
 * addresses stay owned by the operation until its completion arrives, even when the socket is closed
 * meanwhile. A completion that still says EAGAIN falls back to a readiness wait and a resubmission.
 *
 * <p>Connections are spread over the shards that listen on the same address as {@link ListenerGroup} and
 * {@link ConnectionBalancer} describe.
 *
 * <p>Thread rules: the stack and everything it creates belong to the shard that created it.
 */
public final class PosixStack implements NetworkStack {
    /** Smallest and largest buffers a read allocates; the size adapts to how much each read brings. */
    static final int MIN_READ = 8 << 10, MAX_READ = 64 << 10;
    /** Bytes a connection's send queue may hold before writes wait (back-pressure). */
    static final long SEND_QUEUE_LIMIT = 256 << 10;

    private final Reactor reactor;
    private final ReactorBackend backend;
    private final SocketOps ops;
    private final int shardId;
    /** For system calls that complete before returning (readiness path): used and overwritten call by call. */
    private final SockAddr scratchAddress;
    private final MsgHdr scratchMessage;

    private PosixStack(Reactor reactor, ReactorBackend backend, SocketOps ops) {
        this.reactor = reactor;
        this.backend = backend;
        this.ops = ops;
        this.shardId = reactor.shardId();
        // Automatic arena: the stack lives as long as its shard and is dropped with it.
        Arena arena = Arena.ofAuto();
        this.scratchAddress = SockAddr.allocate(arena);
        this.scratchMessage = new MsgHdr(arena, MsgHdr.IOV_MAX);
    }

    /**
     * @return a stack for the calling shard over its reactor's backend, on the backend's own I/O path
     * (completion when it offers {@link SocketOps}, else readiness)
     * @throws IllegalStateException off a shard thread
     */
    public static PosixStack create() {
        Reactor r = requireShard();
        return new PosixStack(r, r.backend(), r.backend().socketOps());
    }

    /**
     * @return a stack for the calling shard that waits with {@code backend} and, when {@code ops} is not null,
     * submits socket operations through {@code ops} (the completion path) instead of calling them itself. For
     * tests that drive the completion path over any backend, and for stacks over a wrapped backend.
     * @throws IllegalStateException off a shard thread
     */
    public static PosixStack create(ReactorBackend backend, SocketOps ops) {
        Reactor r = requireShard();
        return new PosixStack(r, Objects.requireNonNull(backend, "backend"), ops);
    }

    private static Reactor requireShard() {
        Reactor r = Reactor.current();
        if (r == null) {
            throw new IllegalStateException("a network stack belongs to a shard; create it on a shard thread");
        }
        return r;
    }

    @Override
    public String name() {
        return "posix";
    }

    /** @return true when operations are submitted to the backend's {@link SocketOps} (completion path). */
    public boolean usesCompletion() {
        return ops != null;
    }

    /**
     * {@inheritDoc}
     *
     * <p>The first shard to listen on an address creates the kernel socket; others that listen on the same
     * address (with the same options) share it, and each accepted connection is handed to the shard the
     * balancing policy names. With port 0 every call creates a new socket with its own port; other shards join
     * it by listening on the port it got ({@link ServerSocket#localAddress()}).
     *
     * @throws NetException.AddressInUse when the address is taken, or this shard already listens on it
     * @throws IllegalArgumentException when other shards listen on the address with different options, or
     * {@code FIXED} names a shard that does not exist
     */
    @Override
    public ServerSocket listen(SocketAddress address, ListenOptions options) {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(options, "options");
        int shards = Smp.current() == null ? shardId + 1 : Smp.count();
        if (options.balancing() == ListenOptions.Balancing.FIXED && options.fixedShard() >= shards) {
            throw new IllegalArgumentException("FIXED balancing names shard " + options.fixedShard() + " but there are "
                    + shards + " shard(s)");
        }
        return ListenerGroup.listen(address, options, shardId, shards, g -> new PosixServerSocket(this, g));
    }

    /** Connects without a time limit of its own (the kernel gives up after its SYN retries, ETIMEDOUT). */
    @Override
    public Future<ConnectedSocket> connect(SocketAddress remote) {
        return connect(remote, null);
    }

    /**
     * {@inheritDoc}
     *
     * <p>On timeout the half-open socket is closed at once.
     */
    @Override
    public Future<ConnectedSocket> connect(SocketAddress remote, Duration timeout) {
        Objects.requireNonNull(remote, "remote");
        boolean ipv6 = remote.isIpv6();
        int fd;
        try {
            fd = Socket.open(ipv6 ? Socket.AF_INET6 : Socket.AF_INET, Socket.SOCK_STREAM);
        } catch (ErrnoException e) {
            return Future.failed(NetErrors.map(e, remote, "connect"));
        }
        return new Connecting(fd, remote, ipv6, timeout).start();
    }

    /**
     * {@inheritDoc}
     *
     * <p>An IPv6 channel also exchanges datagrams with IPv4 peers (IPV6_V6ONLY off), which is what makes a
     * channel bound to "::" dual-stack.
     */
    @Override
    public UdpChannel udpChannel(SocketAddress local) {
        Objects.requireNonNull(local, "local");
        return PosixUdpChannel.open(this, local);
    }

    // ---------------------------------------------------------------- shared with the sockets of this stack

    Reactor reactor() {
        return reactor;
    }

    ReactorBackend backend() {
        return backend;
    }

    /** @return the completion-path operations, or null on the readiness path. */
    SocketOps ops() {
        return ops;
    }

    int shardId() {
        return shardId;
    }

    /** @return a scratch address for a call that completes before it returns; its contents are gone after. */
    SockAddr scratchAddress() {
        return scratchAddress;
    }

    /** @return a scratch msghdr for a call that completes before it returns. */
    MsgHdr scratchMessage() {
        return scratchMessage;
    }

    /** Wraps an accepted descriptor, handed to this shard, as one of its connections. */
    PosixConnectedSocket adopt(int fd, SocketAddress peer, ListenerGroup origin) {
        try {
            Socket.setOption(fd, Socket.IPPROTO_TCP, Socket.TCP_NODELAY, 1);
        } catch (ErrnoException e) {
            // A connection reset while queued may refuse options; its first read reports the reset.
        }
        return new PosixConnectedSocket(this, fd, new PollableFd(fd), peer, origin);
    }

    /** A connect in progress: one socket, its handshake, its optional deadline. */
    private final class Connecting {
        private final int fd;
        private final PollableFd pfd;
        private final SocketAddress remote;
        private final boolean ipv6;
        private final Duration timeout;
        private final Promise<ConnectedSocket> result = new Promise<>();
        private Timer timer;
        /** Completion path: the address the kernel reads until the connect completes. */
        private Arena opArena;
        private boolean opInFlight;
        private boolean finished;

        Connecting(int fd, SocketAddress remote, boolean ipv6, Duration timeout) {
            this.fd = fd;
            this.pfd = new PollableFd(fd);
            this.remote = remote;
            this.ipv6 = ipv6;
            this.timeout = timeout;
        }

        Future<ConnectedSocket> start() {
            try {
                Socket.setOption(fd, Socket.IPPROTO_TCP, Socket.TCP_NODELAY, 1);
                if (timeout != null) {
                    timer = new Timer(this::timedOut);
                    timer.arm(timeout);
                }
                if (ops != null) {
                    submit();
                } else {
                    SockAddr sa = scratchAddress;
                    Addresses.encode(sa, remote, ipv6);
                    if (Socket.connect(fd, sa) == 0) {
                        succeed();
                    } else {
                        awaitHandshake();
                    }
                }
            } catch (RuntimeException e) {
                fail(NetErrors.map(e, remote, "connect"));
            }
            return result;
        }

        private void submit() {
            opArena = Arena.ofConfined();
            SockAddr sa = SockAddr.allocate(opArena);
            Addresses.encode(sa, remote, ipv6);
            opInFlight = true;
            ops.connect(pfd, sa.segment(), sa.length()).onComplete((r, err) -> {
                opInFlight = false;
                opArena.close();
                opArena = null;
                if (finished) {
                    return;
                }
                if (err == null) {
                    succeed();
                } else if (NetErrors.isWouldBlock(err)) {
                    awaitHandshake();
                } else {
                    fail(NetErrors.map(err, remote, "connect"));
                }
            });
        }

        /** Waits until the handshake ends (writable), then asks SO_ERROR how. */
        private void awaitHandshake() {
            backend.pollReady(pfd, Readiness.OUT).onComplete((bits, err) -> {
                if (finished) {
                    return;
                }
                if (err != null) {
                    fail(NetErrors.map(err, remote, "connect"));
                    return;
                }
                int errno;
                try {
                    errno = Socket.pendingError(fd);
                } catch (ErrnoException e) {
                    fail(NetErrors.map(e, remote, "connect"));
                    return;
                }
                if (errno == 0) {
                    succeed();
                } else {
                    fail(NetErrors.fromErrno(errno, remote, "connect", null));
                }
            });
        }

        private void timedOut() {
            if (!finished) {
                fail(new NetException.TimedOut("connect", 0, remote, null));
            }
        }

        private void succeed() {
            finished = true;
            if (timer != null) {
                timer.cancel();
            }
            result.setValue(new PosixConnectedSocket(PosixStack.this, fd, pfd, remote, null));
        }

        private void fail(NetException e) {
            finished = true;
            if (timer != null) {
                timer.cancel();
            }
            // Forget first: a completion backend cancels the connect; its completion still frees the address.
            backend.forget(pfd);
            Fd.close(fd);
            result.setException(e);
        }
    }
}
