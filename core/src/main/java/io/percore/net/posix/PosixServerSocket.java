package io.percore.net.posix;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import io.percore.net.NetException;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import io.percore.reactor.PollableFd;
import io.percore.reactor.Readiness;
import io.percore.reactor.SocketOps;
import io.percore.smp.Smp;
import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;
import io.percore.sys.Fd;
import io.percore.sys.SockAddr;
import io.percore.sys.Socket;
import java.lang.foreign.Arena;
import java.util.ArrayDeque;
import java.util.function.BiConsumer;

/**
 * One shard's membership in a {@link ListenerGroup}: its accepts, and the connections routed to it.
 *
 * <p><b>Accepting on demand.</b> The shard takes connections from the shared kernel socket only while its program
 * waits in {@link #accept()}, as Seastar's does: a shard whose program is busy leaves the kernel's backlog to
 * the others, and nothing is pulled out of the kernel without someone to take it. Each connection it takes goes
 * to the shard the {@link ConnectionBalancer} names: to itself, or to another shard by {@link Smp#submitTo}
 * carrying the descriptor, where that shard's member wraps it in its own socket and gives it to a waiting
 * {@code accept()} or queues it for the next one.
 *
 * <p><b>One wake-up per connection.</b> Every member registers the shared descriptor as
 * {@linkplain PollableFd#shared shared}, so backends that can wake only one waiting shard per new connection do
 * (epoll: {@code EPOLLEXCLUSIVE}; io_uring's accept arms an exclusive poll of its own). The price of being the only
 * shard told is an obligation: a shard whose readiness wait fires accepts until EAGAIN even if its program stopped
 * waiting meanwhile (what it takes is routed by the balancer like any connection), or a connection could sit in
 * the backlog while the shards that want it sleep. For the same reason a shard that aborts its accepts drops its
 * registration at once.
 *
 * <p>Thread rules: the owning shard only; {@link #deliver} runs there too (hand-offs arrive as tasks).
 */
final class PosixServerSocket implements ServerSocket {
    private final PosixStack stack;
    private final ListenerGroup group;
    private final SocketOps ops;
    private final int shard;
    private final ArrayDeque<Promise<AcceptResult>> waiting = new ArrayDeque<>();
    private final ArrayDeque<AcceptResult> ready = new ArrayDeque<>();
    /** This shard's registration of the shared descriptor; made when it first accepts. */
    private PollableFd pfd;
    /** A kernel accept loop is running (trying, waiting for readiness, or an operation in flight). */
    private boolean accepting;
    /** Readiness path: a readiness wait fired, so the backlog is taken until EAGAIN whoever waits. */
    private boolean draining;
    private boolean aborted;
    /** Readiness waits (or completions answering EAGAIN) that fired; those after which accept found nothing. */
    private long wakeups;
    private long emptyWakeups;
    /** The last accept attempt followed a wake-up. */
    private boolean afterWakeup;
    private boolean closed;
    /** Completion path: the peer address the accept in flight writes; freed once nothing is in flight after close. */
    private Arena opArena;
    private SockAddr opPeer;
    private boolean opInFlight;
    private final Runnable acceptTask = this::acceptNow;
    private final BiConsumer<Integer, Throwable> onReadable = this::readable;
    private final BiConsumer<Integer, Throwable> onAccepted = this::acceptDone;

    PosixServerSocket(PosixStack stack, ListenerGroup group) {
        this.stack = stack;
        this.group = group;
        this.ops = stack.ops();
        this.shard = stack.shardId();
    }

    @Override
    public Future<AcceptResult> accept() {
        if (aborted) {
            return Future.failed(new NetException.AcceptAborted(group.bound));
        }
        AcceptResult r = ready.pollFirst();
        if (r != null) {
            return Future.ready(r);
        }
        Promise<AcceptResult> p = new Promise<>();
        waiting.add(p);
        if (!accepting) {
            accepting = true;
            if (pfd == null) {
                pfd = PollableFd.shared(group.fd);
            }
            if (ops != null) {
                submitAccept();
            } else {
                acceptNow();
            }
        }
        return p;
    }

    // ---------------------------------------------------------------- readiness path

    private void acceptNow() {
        SockAddr peer = stack.scratchAddress();
        for (;;) {
            if (aborted || (waiting.isEmpty() && !draining)) {
                accepting = false;
                draining = false;
                return;
            }
            int fd;
            try {
                fd = Socket.accept(group.fd, peer);
            } catch (ErrnoException e) {
                if (isTransient(e.errno())) {
                    continue;
                }
                draining = false;
                acceptFailed(e);
                return;
            }
            boolean woken = afterWakeup;
            afterWakeup = false;
            if (fd < 0) {
                if (woken) {
                    emptyWakeups++;
                }
                draining = false;
                if (waiting.isEmpty()) {
                    accepting = false; // drained for a wake-up nobody here waits for: no new wait
                    return;
                }
                stack.backend().pollReady(pfd, Readiness.IN).onComplete(onReadable);
                return;
            }
            route(fd, peer);
            if (Reactor.needPreempt()) {
                stack.reactor().schedule(acceptTask); // still accepting; let other work run first
                return;
            }
        }
    }

    private void readable(Integer bits, Throwable err) {
        if (closed) {
            accepting = false;
            return;
        }
        if (err != null) {
            acceptFailed(err);
            return;
        }
        wakeups++;
        afterWakeup = true;
        draining = true;
        acceptNow();
    }

    // ---------------------------------------------------------------- completion path

    private void submitAccept() {
        if (aborted || waiting.isEmpty()) {
            accepting = false;
            return;
        }
        if (opArena == null) {
            opArena = Arena.ofConfined();
            opPeer = SockAddr.allocate(opArena);
        }
        opPeer.prepareForResult();
        opInFlight = true;
        stack.ops().accept(pfd, opPeer.segment(), opPeer.lengthSegment(), Socket.SOCK_NONBLOCK | Socket.SOCK_CLOEXEC)
                .onComplete(onAccepted);
    }

    private void acceptDone(Integer fd, Throwable err) {
        opInFlight = false;
        if (closed) {
            if (err == null) {
                Fd.close(fd); // accepted as the listener closed: nobody will take it
            }
            freeOpMemory();
            accepting = false;
            return;
        }
        boolean woken = afterWakeup;
        afterWakeup = false;
        if (err != null) {
            if (NetErrors.isWouldBlock(err)) {
                if (woken) {
                    emptyWakeups++;
                }
                stack.backend().pollReady(pfd, Readiness.IN).onComplete((bits, e2) -> {
                    if (closed || e2 != null) {
                        readable(bits, e2);
                    } else {
                        wakeups++;
                        afterWakeup = true;
                        submitAccept();
                    }
                });
                return;
            }
            if (err instanceof ErrnoException e && isTransient(e.errno())) {
                submitAccept();
                return;
            }
            acceptFailed(err);
            return;
        }
        route(fd, opPeer);
        if (Reactor.needPreempt()) {
            stack.reactor().schedule(this::submitAccept);
            return;
        }
        submitAccept();
    }

    private void freeOpMemory() {
        if (opArena != null && !opInFlight) {
            opArena.close();
            opArena = null;
            opPeer = null;
        }
    }

    // ---------------------------------------------------------------- both paths

    /** Errnos accept(2) passes on from a queued connection's own network error (man accept, "Error handling"). */
    private static final int ENONET = 64, EPROTO = 71, EHOSTDOWN = 112;

    /**
     * A queued connection was aborted, or carried its own network error, before we took it: as the man page
     * asks, treat it like EAGAIN and take the next one.
     */
    private static boolean isTransient(int errno) {
        return switch (errno) {
            case Errno.ECONNABORTED, EPROTO, Errno.ENOPROTOOPT, Errno.ENETDOWN, EHOSTDOWN, ENONET,
                 Errno.EHOSTUNREACH, Errno.EOPNOTSUPP, Errno.ENETUNREACH -> true;
            default -> false;
        };
    }

    /** The kernel refused to accept (EMFILE, ENOBUFS, …): the oldest waiting accept fails; the loop stops. */
    private void acceptFailed(Throwable err) {
        accepting = false;
        Promise<AcceptResult> p = waiting.pollFirst();
        NetException e = NetErrors.map(err, group.bound, "accept");
        if (p != null) {
            p.setException(e);
        }
    }

    /** Sends a connection this shard accepted to the shard the policy names. */
    private void route(int fd, SockAddr peerAddress) {
        SocketAddress peer;
        try {
            peer = Addresses.decode(peerAddress);
        } catch (RuntimeException e) {
            Fd.close(fd); // not an IP peer: cannot happen on an IP listener
            return;
        }
        ConnectionBalancer balancer = group.balancer;
        int target = balancer.choose(shard, peer.port());
        balancer.assigned(shard, target);
        if (target == shard) {
            deliver(fd, peer);
            return;
        }
        ListenerGroup g = group;
        Smp.submitTo(target, () -> {
            PosixServerSocket m = g.member(target);
            if (m == null) {
                Fd.close(fd); // it stopped accepting while the connection was on its way
                g.balancer.closed(target);
            } else {
                m.deliver(fd, peer);
            }
            return Future.done();
        }).onComplete((v, e) -> {
            if (e != null) {
                // The message never ran (shards stopping): the connection stays here, and is dropped.
                balancer.unassigned(shard, target);
                Fd.close(fd);
            }
        });
    }

    /** Takes a connection routed to this shard; never throws (the descriptor is closed when it cannot be taken). On this shard. */
    void deliver(int fd, SocketAddress peer) {
        if (aborted) {
            Fd.close(fd);
            group.balancer.closed(shard);
            return;
        }
        PosixConnectedSocket s;
        try {
            s = stack.adopt(fd, peer, group);
        } catch (RuntimeException e) {
            Fd.close(fd);
            group.balancer.closed(shard);
            return;
        }
        AcceptResult r = new AcceptResult(s, peer);
        Promise<AcceptResult> p = waiting.pollFirst();
        if (p != null) {
            p.setValue(r);
        } else {
            ready.add(r);
        }
    }

    @Override
    public void abortAccept() {
        if (aborted) {
            return;
        }
        aborted = true;
        group.stopAccepting(shard, this);
        if (pfd != null) {
            // A pending wait would still be registered: the one wake-up a connection makes must not come here.
            stack.backend().forget(pfd);
        }
        NetException.AcceptAborted e = new NetException.AcceptAborted(group.bound);
        for (Promise<AcceptResult> p; (p = waiting.pollFirst()) != null; ) {
            p.setException(e);
        }
        // Routed here but never taken: nobody will now.
        for (AcceptResult r; (r = ready.pollFirst()) != null; ) {
            r.socket().close().ignoreFailure();
        }
    }

    /** @return readiness wake-ups this member had for the shared descriptor. Owning shard. */
    long wakeups() {
        return wakeups;
    }

    /** @return wake-ups after which accept found no connection (another shard took it: the thundering herd). Owning shard. */
    long emptyWakeups() {
        return emptyWakeups;
    }

    @Override
    public SocketAddress localAddress() {
        return group.bound;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        abortAccept();
        closed = true;
        if (pfd != null) {
            stack.backend().forget(pfd);
        }
        freeOpMemory();
        if (group.release(shard, this)) {
            Fd.close(group.fd);
        }
    }

    @Override
    public String toString() {
        return "server socket " + group.bound + " on shard " + shard + (closed ? " (closed)" : "");
    }
}
