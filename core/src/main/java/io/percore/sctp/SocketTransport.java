package io.percore.sctp;

import io.percore.core.Future;
import io.percore.core.Reactor;
import io.percore.net.SocketAddress;
import io.percore.reactor.FdClosedException;
import io.percore.reactor.PollableFd;
import io.percore.reactor.Readiness;
import io.percore.sys.ErrnoException;
import io.percore.sys.RawSocket;
import java.net.InetAddress;
import java.util.List;

/**
 * The common part of the kernel-socket transports: a non-blocking {@link RawSocket} read in a loop driven by the
 * shard's reactor backend (drain until EAGAIN, then wait for readiness). Owner shard only.
 */
abstract sealed class SocketTransport implements SctpTransport permits UdpEncapsulation, RawIpTransport {
    final RawSocket socket;
    private final PollableFd pollable;
    private final Reactor reactor;
    final byte[] in = new byte[65536];
    Receiver receiver;
    private boolean closed;
    private List<InetAddress> localAddresses = List.of();
    private final boolean ipv4;
    private final boolean ipv6;
    long sendDrops;

    /** @param ipv4 whether the socket can send to IPv4 addresses, @param ipv6 whether to IPv6 ones */
    SocketTransport(RawSocket socket, boolean ipv4, boolean ipv6) {
        this.socket = socket;
        this.ipv4 = ipv4;
        this.ipv6 = ipv6;
        this.reactor = Reactor.current();
        if (reactor == null) {
            socket.close();
            throw new IllegalStateException("an SCTP transport needs a shard thread");
        }
        this.pollable = new PollableFd(socket.fd());
    }

    /**
     * Addresses announced in INIT/INIT-ACK (for multi-homing); by default none: the peer uses the source. Owner
     * shard, before associations start.
     *
     * @throws IllegalArgumentException for an address of a family this transport does not carry (an IPv4 address
     *                                  on a raw IPv6 socket, say), which peers could not reach us at
     */
    public void announce(List<InetAddress> addresses) {
        for (InetAddress a : addresses) {
            if (!AddressScope.carries(this, a)) {
                throw new IllegalArgumentException("this transport does not carry " + a.getHostAddress());
            }
        }
        this.localAddresses = List.copyOf(addresses);
    }

    @Override
    public boolean carriesIpv4() {
        return ipv4;
    }

    @Override
    public boolean carriesIpv6() {
        return ipv6;
    }

    @Override
    public List<InetAddress> localAddresses() {
        return localAddresses;
    }

    @Override
    public void start(Receiver r) {
        this.receiver = r;
        readLoop();
    }

    private void readLoop() {
        if (closed) {
            return;
        }
        for (int batch = 0; ; batch++) {
            if (batch == 64) {
                // Let other tasks run; the socket may still hold datagrams, so come back without a readiness wait.
                reactor.schedule(this::readLoop);
                return;
            }
            int n;
            try {
                n = socket.receiveFrom(in);
            } catch (ErrnoException e) {
                continue; // e.g. ECONNREFUSED from an ICMP error on UDP: the datagram socket stays usable
            }
            if (n < 0) {
                break;
            }
            deliver(n);
            if (closed) {
                return;
            }
        }
        Future<Integer> ready = reactor.backend().pollReady(pollable, Readiness.IN);
        ready.onComplete((bits, err) -> {
            if (err == null) {
                readLoop();
            } else if (!(err instanceof FdClosedException)) {
                reactor.schedule(this::readLoop);
            }
        });
    }

    /** Hands one received datagram of {@code n} bytes in {@link #in} to the receiver. */
    abstract void deliver(int n);

    @Override
    public void send(SocketAddress to, byte[] packet, int off, int len) {
        if (closed) {
            return;
        }
        if (!AddressScope.carries(this, to.ip())) {
            sendDrops++; // a family this socket cannot address: the path fails and SCTP fails over
            return;
        }
        try {
            if (socket.sendTo(packet, off, len, to.ip(), sendPort(to)) < 0) {
                sendDrops++; // buffer full: SCTP retransmits
            }
        } catch (ErrnoException e) {
            sendDrops++; // unreachable and the like: SCTP's timers handle it
        }
    }

    abstract int sendPort(SocketAddress to);

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            reactor.backend().forget(pollable);
            socket.close();
        }
    }
}
