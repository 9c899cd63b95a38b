package io.percore.net.stack;

import static io.percore.net.stack.Bytes.put16;
import static io.percore.net.stack.Bytes.put32;
import static io.percore.net.stack.Bytes.put8;
import static io.percore.net.stack.Bytes.u16;
import static io.percore.net.stack.Bytes.u32;
import static io.percore.net.stack.Bytes.u8;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.memory.Buffer;
import io.percore.memory.MemoryPool;
import io.percore.memory.Packet;
import io.percore.net.ConnectedSocket;
import io.percore.net.ListenOptions;
import io.percore.net.NetException;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One shard's TCP (RFC 9293): demultiplexes segments to connections and listeners, answers what belongs to nobody
 * with a reset, issues and checks SYN cookies when a listener's SYN queue is full, and builds every outgoing segment
 * (options, checksum or checksum offload, segmentation offload).
 */
final class Tcp {
    static final int FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;
    static final int ICMP_UNREACHABLE = 1, ICMP_FRAG_NEEDED = 2;
    private static final int[] COOKIE_MSS = {536, 1220, 1360, 1440, 1460, 4036, 8940, 65000};

    final NativeStack stack;
    final HashMap<FlowKey, TcpConnection> connections = new HashMap<>();
    private final HashMap<Integer, Listener> listeners = new HashMap<>();
    private final long startNanos = System.nanoTime();
    /** Options parsed from the segment being processed (one at a time per shard). */
    final Options opts = new Options();

    record FlowKey(IpAddr local, IpAddr remote, int localPort, int remotePort) {}

    /** TCP options of one received segment. */
    static final class Options {
        int mss;
        int wscale;
        boolean sackPermitted;
        boolean hasTimestamp;
        int tsVal, tsEcr;
        final int[] sack = new int[8];
        int sackCount;

        /** @return false for malformed options (zero or overlong lengths). */
        boolean parse(MemorySegment s, int from, int to) {
            mss = 0;
            wscale = -1;
            sackPermitted = false;
            hasTimestamp = false;
            sackCount = 0;
            int i = from;
            while (i < to) {
                int kind = u8(s, i);
                if (kind == 0) {
                    break;
                }
                if (kind == 1) {
                    i++;
                    continue;
                }
                if (i + 1 >= to) {
                    return false;
                }
                int len = u8(s, i + 1);
                if (len < 2 || i + len > to) {
                    return false;
                }
                switch (kind) {
                    case 2 -> {
                        if (len != 4) {
                            return false;
                        }
                        mss = u16(s, i + 2);
                    }
                    case 3 -> {
                        if (len != 3) {
                            return false;
                        }
                        wscale = Math.min(14, u8(s, i + 2));
                    }
                    case 4 -> sackPermitted = len == 2;
                    case 5 -> {
                        if ((len - 2) % 8 != 0) {
                            return false;
                        }
                        sackCount = Math.min(4, (len - 2) / 8);
                        for (int b = 0; b < sackCount; b++) {
                            sack[2 * b] = u32(s, i + 2 + 8 * b);
                            sack[2 * b + 1] = u32(s, i + 6 + 8 * b);
                        }
                    }
                    case 8 -> {
                        if (len != 10) {
                            return false;
                        }
                        hasTimestamp = true;
                        tsVal = u32(s, i + 2);
                        tsEcr = u32(s, i + 6);
                    }
                    default -> {
                        // unknown options are skipped by their length
                    }
                }
                i += len;
            }
            return true;
        }
    }

    Tcp(NativeStack stack) {
        this.stack = stack;
    }

    /** @return the timestamp clock: milliseconds since this stack started. */
    int nowMillis() {
        return (int) ((System.nanoTime() - startNanos) / 1_000_000L);
    }

    // ------------------------------------------------------------------ API

    ServerSocket listen(SocketAddress address, ListenOptions options) {
        int port = address.port();
        if (port == 0) {
            port = ephemeralPort(null, null, 0, false);
        }
        if (listeners.containsKey(port)) {
            throw new NetException.AddressInUse(0, address, null);
        }
        Listener l = new Listener(address.withPort(port), IpAddr.of(address.ip()), options.backlog());
        listeners.put(port, l);
        int p = port;
        stack.network.tcpListeners.merge(p, 1L << stack.shard, (a, b) -> a | b);
        return l;
    }

    Future<ConnectedSocket> connect(SocketAddress remote) {
        IpAddr dst = IpAddr.of(remote.ip());
        IpAddr src = stack.sourceFor(dst);
        if (src == null || stack.nextHop(dst) == null) {
            return Future.failed(new NetException.Unreachable(0, remote, null));
        }
        int port = ephemeralPort(src, dst, remote.port(), true);
        FlowKey key = new FlowKey(src, dst, port, remote.port());
        TcpConnection c = new TcpConnection(this, key, TcpConnection.State.SYN_SENT);
        connections.put(key, c);
        return c.connect();
    }

    /** Picks a free local port; for connections, one whose flow hashes to this shard. */
    private int ephemeralPort(IpAddr src, IpAddr dst, int rport, boolean flow) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        int start = 32768 + r.nextInt(28232);
        for (int i = 0; i < 28232; i++) {
            int p = 32768 + (start - 32768 + i) % 28232;
            if (listeners.containsKey(p) || stack.network.tcpListeners.containsKey(p)) {
                continue;
            }
            if (flow) {
                if (stack.network.flowShard(src, dst, p, rport) != stack.shard
                        || connections.containsKey(new FlowKey(src, dst, p, rport))) {
                    continue;
                }
            }
            return p;
        }
        throw new NetException.AddressInUse(0, null, null);
    }

    void stop() {
        for (TcpConnection c : connections.values().toArray(TcpConnection[]::new)) {
            c.abort(new NetException.SocketClosed("stack stopped", c.remoteAddress()), true);
        }
        connections.clear();
        for (Listener l : listeners.values().toArray(Listener[]::new)) {
            l.close();
        }
    }

    void remove(TcpConnection c) {
        connections.remove(c.key, c);
    }

    /** @return the receive buffer a new connection gets: the configured window, less when the shard's memory is short. */
    int receiveBuffer(int mss) {
        int max = stack.config.receiveWindow();
        MemoryPool pool = MemoryPool.current();
        if (pool == null) {
            return max;
        }
        long free = pool.limit() - pool.used();
        long share = free / 8;
        return (int) Math.max(4L * mss, Math.min(max, share));
    }

    // ------------------------------------------------------------------ receive

    void receive(IpAddr src, IpAddr dst, Buffer seg, int flags) {
        MemorySegment s = seg.segment();
        int len = seg.length();
        int off = len < 20 ? 0 : (u8(s, 12) >>> 4) * 4;
        if (off < 20 || off > len) {
            stack.counters.malformed++;
            seg.release();
            return;
        }
        if ((flags & DeviceQueue.RX_CHECKSUM_OK) == 0) {
            long sum = (src.v6() ? Checksum.pseudo6(src, dst, NativeStack.PROTO_TCP, len)
                    : Checksum.pseudo4(src.v4(), dst.v4(), NativeStack.PROTO_TCP, len)) + Checksum.sum(s, 0, len);
            if (Checksum.fold(sum) != 0xffff) {
                stack.counters.badChecksum++;
                seg.release();
                return;
            }
        }
        if (!opts.parse(s, 20, off)) {
            stack.counters.malformed++;
            seg.release();
            return;
        }
        stack.counters.tcpSegmentsReceived++;
        int sport = u16(s, 0), dport = u16(s, 2);
        int seq = u32(s, 4), ack = u32(s, 8);
        int fl = u8(s, 13);
        int wnd = u16(s, 14);
        seg.trimFront(off);
        FlowKey key = new FlowKey(dst, src, dport, sport);
        TcpConnection c = connections.get(key);
        if (c != null) {
            c.segment(seq, ack, fl, wnd, seg, opts);
            return;
        }
        Listener l = listeners.get(dport);
        if (l != null && l.accepts(dst) && !l.closed) {
            l.segment(key, seq, ack, fl, wnd, seg, opts);
            return;
        }
        seg.release();
        if ((fl & RST) == 0) {
            // Nobody here: RST as RFC 9293 3.10.7.1 says.
            int dataLen = len - off + ((fl & SYN) != 0 ? 1 : 0) + ((fl & FIN) != 0 ? 1 : 0);
            if ((fl & ACK) != 0) {
                sendReset(key, ack, 0, false);
            } else {
                sendReset(key, 0, seq + dataLen, true);
            }
        }
    }

    void icmpError(IpAddr local, IpAddr remote, int lport, int rport, int kind, int mtu) {
        TcpConnection c = connections.get(new FlowKey(local, remote, lport, rport));
        if (c != null) {
            c.icmpError(kind, mtu);
        }
    }

    void sendReset(FlowKey key, int seq, int ack, boolean withAck) {
        stack.counters.tcpResetsSent++;
        Segment s = new Segment();
        s.seq = seq;
        s.ack = ack;
        s.flags = RST | (withAck ? ACK : 0);
        send(key, s, null);
    }

    // ------------------------------------------------------------------ SYN cookies

    private int cookieHash(FlowKey k, int peerIsn, int count) {
        long x = stack.network.cookieSecret ^ k.local().lo() ^ Long.rotateLeft(k.remote().lo(), 13) ^ k.remote().hi()
                ^ Long.rotateLeft(k.local().hi(), 29) ^ ((long) k.localPort() << 48) ^ ((long) k.remotePort() << 32)
                ^ (peerIsn & 0xffffffffL) ^ ((long) count << 40);
        x *= 0x9E3779B97F4A7C15L;
        x ^= x >>> 31;
        x *= 0xBF58476D1CE4E5B9L;
        x ^= x >>> 29;
        return (int) x & 0xffffff;
    }

    private static int cookieCount() {
        return (int) (System.currentTimeMillis() / 64_000L);
    }

    int makeCookie(FlowKey k, int peerIsn, int peerMss) {
        int idx = 0;
        for (int i = COOKIE_MSS.length - 1; i >= 0; i--) {
            if (COOKIE_MSS[i] <= Math.max(536, peerMss)) {
                idx = i;
                break;
            }
        }
        int count = cookieCount();
        return ((count & 0x1f) << 27) | (idx << 24) | cookieHash(k, peerIsn, count);
    }

    /** @return the MSS encoded in a valid cookie, or -1 when the cookie is invalid or stale (over about 2 minutes). */
    int checkCookie(FlowKey k, int peerIsn, int cookie) {
        int now = cookieCount();
        for (int age = 0; age <= 1; age++) {
            int count = now - age;
            if ((count & 0x1f) == (cookie >>> 27) && cookieHash(k, peerIsn, count) == (cookie & 0xffffff)) {
                return COOKIE_MSS[(cookie >>> 24) & 7];
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------ transmit

    /** What to put in one outgoing segment. */
    static final class Segment {
        int seq, ack, flags, window;
        int mss;
        int wscale = -1;
        boolean sackPermitted;
        boolean timestamp;
        int tsVal, tsEcr;
        long[] sackBlocks;
        int sackCount;
        int gsoSize;
    }

    /** Builds and sends a segment for {@code key} with {@code payload} (owned by this call; may be null). */
    void send(FlowKey key, Segment g, Packet payload) {
        IpAddr dst = key.remote();
        int ipHdr = NativeStack.ipHeaderLength(dst);
        int optLen = 0;
        if (g.mss > 0) {
            optLen += 4;
        }
        if (g.wscale >= 0) {
            optLen += 4;
        }
        if (g.sackPermitted) {
            optLen += g.timestamp ? 0 : 4;
        }
        if (g.timestamp) {
            optLen += 12;
        }
        if (g.sackCount > 0) {
            optLen += 4 + 8 * g.sackCount;
        }
        int tcpHdr = 20 + optLen;
        int hdrStart = NativeStack.ETH + ipHdr;
        Buffer hb = Buffer.allocate(hdrStart + tcpHdr);
        MemorySegment h = hb.segment();
        int o = hdrStart;
        put16(h, o, key.localPort());
        put16(h, o + 2, key.remotePort());
        put32(h, o + 4, g.seq);
        put32(h, o + 8, g.ack);
        put8(h, o + 12, (tcpHdr / 4) << 4);
        put8(h, o + 13, g.flags);
        put16(h, o + 14, g.window);
        put32(h, o + 16, 0);
        int i = o + 20;
        if (g.mss > 0) {
            put32(h, i, 0x0204_0000 | g.mss);
            i += 4;
        }
        if (g.sackPermitted && g.timestamp) {
            put16(h, i, 0x0402); // SACK permitted sharing the timestamp's padding
        } else if (g.sackPermitted) {
            put32(h, i, 0x0101_0402);
            i += 4;
        }
        if (g.timestamp) {
            if (!g.sackPermitted) {
                put16(h, i, 0x0101);
            }
            put16(h, i + 2, 0x080a);
            put32(h, i + 4, g.tsVal);
            put32(h, i + 8, g.tsEcr);
            i += 12;
        }
        if (g.wscale >= 0) {
            put32(h, i, 0x0103_0300 | g.wscale);
            i += 4;
        }
        if (g.sackCount > 0) {
            put16(h, i, 0x0101);
            put8(h, i + 2, 5);
            put8(h, i + 3, 2 + 8 * g.sackCount);
            for (int b = 0; b < g.sackCount; b++) {
                put32(h, i + 4 + 8 * b, (int) g.sackBlocks[2 * b]);
                put32(h, i + 8 + 8 * b, (int) g.sackBlocks[2 * b + 1]);
            }
        }
        Packet frame = Packet.of(hb);
        if (payload != null) {
            frame.append(payload);
        }
        int tcpLen = (int) frame.length() - hdrStart;
        IpAddr src = key.local();
        long pseudo = dst.v6() ? Checksum.pseudo6(src, dst, NativeStack.PROTO_TCP, tcpLen)
                : Checksum.pseudo4(src.v4(), dst.v4(), NativeStack.PROTO_TCP, tcpLen);
        TxOffload off;
        if (stack.checksumOffload()) {
            // The device adds the segment's bytes to the pseudo-header sum we leave in the checksum field.
            put16(h, o + 16, Checksum.fold(pseudo));
            boolean gso = g.gsoSize > 0 && tcpLen - tcpHdr > g.gsoSize;
            off = new TxOffload(hdrStart, 16, gso ? (dst.v6() ? TxOffload.GSO_TCPV6 : TxOffload.GSO_TCPV4) : TxOffload.GSO_NONE,
                    gso ? g.gsoSize : 0, hdrStart + tcpHdr);
        } else {
            put16(h, o + 16, Checksum.finish(pseudo + Checksum.sum(frame, hdrStart)));
            off = TxOffload.NONE;
        }
        stack.counters.tcpSegmentsSent++;
        stack.sendIp(frame, src, dst, NativeStack.PROTO_TCP, off, 64);
    }

    // ------------------------------------------------------------------ listener

    /** A listening port on this shard: SYN queue (as connections in SYN_RECEIVED), accept queue, cookies beyond. */
    final class Listener implements ServerSocket {
        final SocketAddress local;
        final IpAddr bound;
        final int backlog;
        final ArrayDeque<TcpConnection> ready = new ArrayDeque<>();
        Promise<AcceptResult> waiter;
        int synReceived;
        boolean aborted;
        boolean closed;

        Listener(SocketAddress local, IpAddr bound, int backlog) {
            this.local = local;
            this.bound = bound;
            this.backlog = backlog;
        }

        boolean accepts(IpAddr dst) {
            return bound.isAny() ? (bound.v6() || !dst.v6()) : bound.equals(dst);
        }

        void segment(FlowKey key, int seq, int ack, int fl, int wnd, Buffer data, Options o) {
            if ((fl & RST) != 0) {
                data.release();
                return;
            }
            if ((fl & ACK) != 0) {
                // The final ACK of a handshake answered with a cookie.
                int mss = (fl & SYN) == 0 ? checkCookie(key, seq - 1, ack - 1) : -1;
                if (mss < 0 || ready.size() >= backlog) {
                    data.release();
                    if (mss < 0) {
                        sendReset(key, ack, 0, false);
                    }
                    return;
                }
                stack.counters.synCookiesAccepted++;
                TcpConnection c = new TcpConnection(Tcp.this, key, TcpConnection.State.SYN_RECEIVED);
                c.listener = this;
                c.fromCookie(seq - 1, ack - 1, mss, o);
                connections.put(key, c);
                c.segment(seq, ack, fl, wnd, data, o);
                return;
            }
            if ((fl & SYN) == 0) {
                data.release();
                return;
            }
            data.release();
            if (synReceived >= backlog || ready.size() >= backlog) {
                stack.counters.synCookiesSent++;
                TcpConnection.sendCookieSynAck(Tcp.this, key, seq, o);
                return;
            }
            TcpConnection c = new TcpConnection(Tcp.this, key, TcpConnection.State.SYN_RECEIVED);
            c.listener = this;
            synReceived++;
            connections.put(key, c);
            c.passiveOpen(seq, o);
        }

        /** A connection of ours reached ESTABLISHED. */
        void established(TcpConnection c) {
            if (closed) {
                c.abort(new NetException.SocketClosed("listener closed", c.remoteAddress()), true);
                return;
            }
            Promise<AcceptResult> w = waiter;
            if (w != null) {
                waiter = null;
                w.setValue(new AcceptResult(c, c.remoteAddress()));
            } else {
                ready.add(c);
            }
        }

        @Override
        public Future<AcceptResult> accept() {
            if (aborted || closed) {
                return Future.failed(new NetException.AcceptAborted(local));
            }
            TcpConnection c = ready.poll();
            if (c != null) {
                return Future.ready(new AcceptResult(c, c.remoteAddress()));
            }
            if (waiter != null) {
                return Future.failed(new IllegalStateException("an accept is already pending on " + local));
            }
            waiter = new Promise<>();
            return waiter;
        }

        @Override
        public void abortAccept() {
            aborted = true;
            Promise<AcceptResult> w = waiter;
            waiter = null;
            if (w != null) {
                w.setException(new NetException.AcceptAborted(local));
            }
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
            abortAccept();
            listeners.remove(local.port(), this);
            int port = local.port();
            long bit = 1L << stack.shard;
            stack.network.tcpListeners.computeIfPresent(port, (p, m) -> (m & ~bit) == 0 ? null : m & ~bit);
            for (TcpConnection c : ready) {
                c.abort(new NetException.SocketClosed("listener closed", c.remoteAddress()), true);
            }
            ready.clear();
        }
    }
}
