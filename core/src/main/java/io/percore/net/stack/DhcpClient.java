package io.percore.net.stack;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Timer;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.NetException;
import io.percore.net.SocketAddress;
import io.percore.net.UdpChannel;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A DHCPv4 client (RFC 2131) over the native stack's own UDP: it takes port 68 on its shard, broadcasts DISCOVER
 * from 0.0.0.0, requests the first OFFER, and on ACK gives the network its address, netmask and gateway (and the
 * DNS servers to the configuration). It then keeps the lease: at T1 (renewal, default half the lease) it asks the
 * server that granted it by unicast, at T2 (rebinding, default 7/8 of the lease) any server by broadcast, and when
 * the lease runs out it drops the address and starts over. A NAK starts over at once. Requests are retransmitted
 * with exponential backoff ({@link Options#firstRetry()} doubling up to {@link Options#maxRetry()}, randomised by a
 * quarter); when no lease was obtained within {@link Options#timeout()} the {@link #start()} future fails with a
 * message saying what was tried. Replies that are malformed, for another transaction or another client are ignored
 * and counted.
 *
 * <p>Not done: the ARP probe of the offered address before using it (RFC 2131 section 4.4.1 SHOULD; DHCP servers
 * such as dnsmasq ping before offering), INIT-REBOOT with a remembered address, and DHCPRELEASE on stop.
 *
 * <p>Shard thread only: created, started and stopped on the shard of the stack it runs on.
 */
public final class DhcpClient {
    /**
     * Timing of the client.
     *
     * @param firstRetry the first retransmission delay (RFC 2131 suggests 4 s)
     * @param maxRetry   the largest retransmission delay (64 s)
     * @param timeout    how long {@link #start()} waits for a first lease before failing
     */
    public record Options(Duration firstRetry, Duration maxRetry, Duration timeout) {
        public Options {
            if (firstRetry.isNegative() || firstRetry.isZero() || maxRetry.compareTo(firstRetry) < 0 || timeout.isNegative()) {
                throw new IllegalArgumentException("DHCP retries need 0 < firstRetry <= maxRetry and a timeout >= 0");
            }
        }

        /** @return RFC 2131's timing: 4 s doubling to 64 s, and 60 s to obtain a lease. */
        public static Options defaults() {
            return new Options(Duration.ofSeconds(4), Duration.ofSeconds(64), Duration.ofSeconds(60));
        }
    }

    /**
     * A lease as the server granted it.
     *
     * @param address       our address
     * @param netmask       the subnet mask (a /24 when the server sent none)
     * @param router        the first router, or null
     * @param dnsServers    DNS servers, possibly empty
     * @param server        the server that granted it
     * @param leaseTime     how long it is valid
     * @param renewalTime   T1: when we ask the server to extend it
     * @param rebindingTime T2: when we ask any server
     */
    public record Lease(InetAddress address, InetAddress netmask, InetAddress router, List<InetAddress> dnsServers,
                        InetAddress server, Duration leaseTime, Duration renewalTime, Duration rebindingTime) {}

    /** Why {@link #start()} failed: no lease within the timeout. */
    public static final class NoLeaseException extends NetException {
        /** @param message what was tried and what came back */
        public NoLeaseException(String message) {
            super(message, 0, null, null);
        }
    }

    private enum State { IDLE, SELECTING, REQUESTING, BOUND, RENEWING, REBINDING, STOPPED }

    private static final int SERVER_PORT = 67, CLIENT_PORT = 68;
    private static final int BROADCAST = -1;
    /** REQUESTs sent for one OFFER before starting over with DISCOVER. */
    private static final int MAX_REQUESTS = 4;

    private final NativeStack stack;
    private final Options options;
    private final SplittableRandom random = new SplittableRandom();
    private final Promise<Lease> first = new Promise<>();
    private final Timer retransmit = new Timer(this::onRetransmit);
    private final Timer renewal = new Timer(this::renew);
    private final Timer rebinding = new Timer(this::rebind);
    private final Timer expiry = new Timer(this::expire);
    private final Timer giveUp = new Timer(this::onTimeout);
    private UdpChannel channel;
    private State state = State.IDLE;
    private int xid;
    private long exchangeStart;
    private long retryNanos;
    private int attempts;
    private int offered;
    private int serverId;
    private long leaseEnd;
    private Lease lease;
    private long discovers, requests, ignored, naks, renewals;

    /** A client for {@code stack} (not started). Shard thread of the stack. */
    public DhcpClient(NativeStack stack, Options options) {
        this.stack = stack;
        this.options = options;
    }

    /**
     * Binds UDP port 68 on this shard and starts acquiring a lease. Once.
     *
     * @return resolved with the first lease once the network uses it; failed with {@link NoLeaseException} after
     * the timeout, or with the bind failure
     */
    public Future<Lease> start() {
        if (state != State.IDLE) {
            return Future.failed(new IllegalStateException("the DHCP client was already started"));
        }
        channel = stack.udpChannel(SocketAddress.anyIpv4(CLIENT_PORT));
        receiveNext();
        if (!options.timeout().isZero()) {
            giveUp.arm(options.timeout());
        }
        discover();
        return first;
    }

    /** @return the lease in use, or null. */
    public Lease lease() {
        return lease;
    }

    /** @return leases extended by a renewal or rebinding so far. */
    public long renewals() {
        return renewals;
    }

    /** @return replies ignored so far (malformed, other transaction, other client, unexpected type). */
    public long ignoredReplies() {
        return ignored;
    }

    /** @return NAKs received so far. */
    public long naks() {
        return naks;
    }

    /** @return a one-line summary for logs and test messages. */
    @Override
    public String toString() {
        return "DHCP client " + state + ": " + discovers + " DISCOVER, " + requests + " REQUEST, " + naks + " NAK, "
                + ignored + " ignored, " + renewals + " renewals" + (lease == null ? "" : ", lease " + lease);
    }

    /** Stops the client: timers cancelled, port 68 closed; the address stays. Idempotent. */
    public void stop() {
        if (state == State.STOPPED) {
            return;
        }
        state = State.STOPPED;
        cancelTimers();
        giveUp.cancel();
        if (channel != null) {
            channel.close();
        }
        first.trySetException(new NoLeaseException("the DHCP client was stopped before it obtained a lease"));
    }

    // ------------------------------------------------------------------ sending

    private void discover() {
        cancelTimers();
        state = State.SELECTING;
        newExchange();
        offered = 0;
        serverId = 0;
        sendDiscover();
    }

    private void newExchange() {
        xid = random.nextInt();
        exchangeStart = System.nanoTime();
        attempts = 0;
        retryNanos = options.firstRetry().toNanos();
    }

    private void sendDiscover() {
        discovers++;
        send(DhcpMessage.DISCOVER, true, 0, 0, 0, BROADCAST);
        armRetransmit();
    }

    private void sendRequest() {
        requests++;
        switch (state) {
            case REQUESTING -> send(DhcpMessage.REQUEST, true, 0, offered, serverId, BROADCAST);
            case RENEWING -> send(DhcpMessage.REQUEST, false, offered, 0, 0, serverId);
            case REBINDING -> send(DhcpMessage.REQUEST, true, offered, 0, 0, BROADCAST);
            default -> throw new IllegalStateException("no REQUEST in state " + state);
        }
    }

    private void send(int type, boolean broadcast, int ciaddr, int requested, int server, int to) {
        int secs = (int) ((System.nanoTime() - exchangeStart) / 1_000_000_000L);
        byte[] m = DhcpMessage.request(type, xid, secs, broadcast, ciaddr, stack.network.mac, requested, server);
        SocketAddress dst = new SocketAddress(IpAddr.v4(to).toInet(), SERVER_PORT);
        // A send that fails (no route yet, neighbour unresolved) is a lost datagram: the retransmission covers it.
        channel.send(dst, Packet.of(Buffer.copyOf(m))).ignoreFailure();
    }

    /** Arms the next retransmission: the current delay randomised by a quarter either way, then doubled. */
    private void armRetransmit() {
        long jitter = retryNanos / 4;
        long delay = retryNanos - jitter + (jitter == 0 ? 0 : random.nextLong(2 * jitter));
        retransmit.arm(Duration.ofNanos(delay));
        retryNanos = Math.min(retryNanos * 2, options.maxRetry().toNanos());
    }

    private void onRetransmit() {
        attempts++;
        switch (state) {
            case SELECTING -> sendDiscover();
            case REQUESTING -> {
                if (attempts >= MAX_REQUESTS) {
                    discover();
                } else {
                    sendRequest();
                    armRetransmit();
                }
            }
            case RENEWING, REBINDING -> {
                sendRequest();
                armLeaseRetransmit();
            }
            default -> { }
        }
    }

    /** While renewing or rebinding, retransmit at half the time left to the next deadline (RFC 2131 4.4.5). */
    private void armLeaseRetransmit() {
        long deadline = state == State.RENEWING ? rebindAt : leaseEnd;
        long half = (deadline - System.nanoTime()) / 2;
        retransmit.arm(Duration.ofNanos(Math.max(options.firstRetry().toNanos(), half)));
    }

    private long rebindAt;

    // ------------------------------------------------------------------ receiving

    private void receiveNext() {
        channel.receive().onComplete((d, t) -> {
            if (t != null) {
                return; // closed by stop()
            }
            try {
                if (d.sender().port() == SERVER_PORT) {
                    onReply(d.data().toArray());
                } else {
                    ignored++;
                }
            } finally {
                d.data().release();
            }
            if (state != State.STOPPED) {
                receiveNext();
            }
        });
    }

    /** Handles one datagram from port 67. Package-private so tests can feed malformed replies. */
    void onReply(byte[] bytes) {
        DhcpMessage m = DhcpMessage.parse(bytes, bytes.length);
        if (m == null || m.xid != xid || m.chaddr != stack.network.mac) {
            ignored++;
            return;
        }
        switch (state) {
            case SELECTING -> {
                if (m.type == DhcpMessage.OFFER && m.yiaddr != 0 && m.serverId != 0) {
                    offered = m.yiaddr;
                    serverId = m.serverId;
                    state = State.REQUESTING;
                    attempts = 0;
                    retryNanos = options.firstRetry().toNanos();
                    retransmit.cancel();
                    sendRequest();
                    armRetransmit();
                } else {
                    ignored++;
                }
            }
            case REQUESTING, RENEWING, REBINDING -> {
                if (m.type == DhcpMessage.ACK && (state != State.REQUESTING || m.yiaddr == offered) && m.yiaddr != 0) {
                    bind(m);
                } else if (m.type == DhcpMessage.NAK) {
                    naks++;
                    dropAddress();
                    discover();
                } else {
                    ignored++;
                }
            }
            default -> ignored++;
        }
    }

    private void bind(DhcpMessage m) {
        boolean extension = state == State.RENEWING || state == State.REBINDING;
        cancelTimers();
        long leaseSecs = m.leaseSeconds < 0 ? 0xffffffffL : m.leaseSeconds;
        long t1 = m.renewalSeconds >= 0 && m.renewalSeconds < leaseSecs ? m.renewalSeconds : leaseSecs / 2;
        long t2 = m.rebindingSeconds >= 0 && m.rebindingSeconds < leaseSecs && m.rebindingSeconds >= t1
                ? m.rebindingSeconds : leaseSecs * 7 / 8;
        // Times count from when the request went out (RFC 2131 4.4.1), which is a little conservative.
        long start = exchangeStart;
        if (m.serverId != 0) {
            serverId = m.serverId;
        }
        offered = m.yiaddr;
        int mask = m.subnetMask != 0 ? m.subnetMask : 0xffffff00;
        List<InetAddress> dns = new ArrayList<>();
        for (int d : m.dnsServers) {
            dns.add(IpAddr.v4(d).toInet());
        }
        lease = new Lease(IpAddr.v4(m.yiaddr).toInet(), IpAddr.v4(mask).toInet(),
                m.routers.isEmpty() ? null : IpAddr.v4(m.routers.get(0)).toInet(), List.copyOf(dns),
                IpAddr.v4(serverId).toInet(), Duration.ofSeconds(leaseSecs), Duration.ofSeconds(t1), Duration.ofSeconds(t2));
        state = State.BOUND;
        if (leaseSecs != 0xffffffffL) {
            leaseEnd = start + leaseSecs * 1_000_000_000L;
            rebindAt = start + t2 * 1_000_000_000L;
            renewal.armAt(start + t1 * 1_000_000_000L);
            rebinding.armAt(rebindAt);
            expiry.armAt(leaseEnd);
        }
        if (extension) {
            renewals++;
        }
        stack.network.applyDhcpLease(lease);
        stack.announceIpv4();
        giveUp.cancel();
        first.trySetValue(lease);
    }

    private void renew() {
        if (state != State.BOUND) {
            return;
        }
        state = State.RENEWING;
        newExchange();
        sendRequest();
        armLeaseRetransmit();
    }

    private void rebind() {
        if (state != State.BOUND && state != State.RENEWING) {
            return;
        }
        retransmit.cancel();
        state = State.REBINDING;
        newExchange();
        sendRequest();
        armLeaseRetransmit();
    }

    private void expire() {
        if (state == State.STOPPED) {
            return;
        }
        dropAddress();
        discover();
    }

    private void dropAddress() {
        if (lease != null) {
            lease = null;
            stack.network.applyDhcpLease(null);
        }
    }

    private void onTimeout() {
        if (lease != null || state == State.STOPPED) {
            return;
        }
        String what = "no DHCP lease on " + stack.network.device().describe() + " within " + options.timeout().toMillis()
                + " ms: " + discovers + " DISCOVER and " + requests + " REQUEST sent, " + naks + " NAK and " + ignored
                + " unusable replies received";
        first.trySetException(new NoLeaseException(what));
        stop();
    }

    private void cancelTimers() {
        retransmit.cancel();
        renewal.cancel();
        rebinding.cancel();
        expiry.cancel();
    }
}
