package io.percore.net.stack;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.NetException;
import io.percore.net.SocketAddress;
import io.percore.net.UdpChannel;
import java.util.ArrayDeque;

/** A UDP channel of the native stack: a bound port on one shard with a bounded queue of received datagrams. */
final class UdpSocket implements UdpChannel {
    private static final int MAX_QUEUED = 1024;
    private final NativeStack stack;
    private final SocketAddress local;
    private final IpAddr bound;
    private final ArrayDeque<Datagram> queue = new ArrayDeque<>();
    private Promise<Datagram> waiter;
    private boolean closed;

    UdpSocket(NativeStack stack, SocketAddress local) {
        this.stack = stack;
        this.local = local;
        this.bound = IpAddr.of(local.ip());
    }

    boolean accepts(IpAddr dst) {
        return bound.isAny() ? (bound.v6() || !dst.v6()) : bound.equals(dst);
    }

    void deliver(SocketAddress sender, Buffer data) {
        Promise<Datagram> w = waiter;
        if (w != null) {
            waiter = null;
            w.setValue(new Datagram(sender, data));
            return;
        }
        if (queue.size() >= MAX_QUEUED) {
            stack.counters.udpQueueDrops++;
            data.release();
            return;
        }
        queue.add(new Datagram(sender, data));
    }

    @Override
    public Future<Void> send(SocketAddress to, Packet datagram) {
        if (closed) {
            datagram.release();
            return Future.failed(new NetException.SocketClosed("send", local));
        }
        IpAddr dst = IpAddr.of(to.ip());
        IpAddr chosen = bound.isAny() || bound.v6() != dst.v6() ? stack.sourceFor(dst) : bound;
        // A broadcast before we have an address goes out from 0.0.0.0 (a DHCP client's DISCOVER).
        IpAddr src = chosen == null && !dst.v6() && dst.v4() == -1 ? IpAddr.ANY4 : chosen;
        if (src == null || stack.nextHop(dst) == null) {
            datagram.release();
            return Future.failed(new NetException.Unreachable(0, to, null));
        }
        return Future.of(() -> {
            stack.udpSend(src, local.port(), dst, to.port(), datagram);
            return Future.done();
        });
    }

    @Override
    public Future<Datagram> receive() {
        if (closed) {
            return Future.failed(new NetException.SocketClosed("receive", local));
        }
        Datagram d = queue.poll();
        if (d != null) {
            return Future.ready(d);
        }
        if (waiter != null) {
            return Future.failed(new IllegalStateException("a receive is already pending on " + local));
        }
        waiter = new Promise<>();
        return waiter;
    }

    @Override
    public SocketAddress localAddress() {
        return local;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        stack.unbindUdp(local.port());
        queue.forEach(d -> d.data().release());
        queue.clear();
        Promise<Datagram> w = waiter;
        waiter = null;
        if (w != null) {
            w.setException(new NetException.SocketClosed("receive", local));
        }
    }
}
