package io.percore.net.stack;

import static io.percore.net.stack.Bytes.put16;
import static io.percore.net.stack.Bytes.put32;
import static io.percore.net.stack.Bytes.put64;
import static io.percore.net.stack.Bytes.put8;
import static io.percore.net.stack.Bytes.u16;
import static io.percore.net.stack.Bytes.u32;
import static io.percore.net.stack.Bytes.u64;
import static io.percore.net.stack.Bytes.u8;

import io.percore.core.Future;
import io.percore.core.Poller;
import io.percore.core.Reactor;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.ConnectedSocket;
import io.percore.net.ListenOptions;
import io.percore.net.NetException;
import io.percore.net.NetworkStack;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import io.percore.net.UdpChannel;
import io.percore.smp.Smp;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;

/**
 * One shard's native stack: Ethernet, ARP, IPv4, IPv6 with NDP, ICMP and ICMPv6, UDP and TCP, over one queue of the
 * network's device, behind the {@link NetworkStack} API. Frames are read in batches by a reactor poller; each is
 * parsed in place (a view of the receive area), checked (lengths, versions, checksums) and dropped and counted when
 * malformed, never thrown at the application. A packet whose flow belongs to another shard is handed to it once,
 * through the cross-shard queues.
 *
 * <p>Shard thread only (its own shard); created by {@link NativeNetwork#startShard()}.
 */
public final class NativeStack implements NetworkStack {
    static final int ETH = 14;
    static final int ETH_IPV4 = 0x0800, ETH_ARP = 0x0806, ETH_IPV6 = 0x86DD;
    static final int PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMP6 = 58;
    private static final long BROADCAST_MAC = 0xffff_ffff_ffffL;
    private static final int RX_BATCH = 64;
    private static final IpAddr ALL_NODES = new IpAddr(0xff02_0000_0000_0000L, 1, true);
    private static final IpAddr ALL_ROUTERS = new IpAddr(0xff02_0000_0000_0000L, 2, true);

    final NativeNetwork network;
    final int shard;
    final DeviceQueue queue;
    final NativeStackConfig config;
    /** Frame counters and drop reasons of this shard. */
    final StackCounters counters = new StackCounters();
    final Neighbours neighbours;
    final Reassembly reassembly = new Reassembly(counters);
    final Tcp tcp;
    private final HashMap<Integer, UdpSocket> udp = new HashMap<>();
    private final DeviceQueue.FrameSink sink = (f, flags) -> onFrame(f, flags, false);
    /** Learned default IPv6 router, or null. */
    IpAddr router6;
    /** Path MTUs learned from ICMP, by destination. */
    final HashMap<IpAddr, Integer> pathMtu = new HashMap<>();
    /** Sees every received frame before parsing (tests capture fuzzing corpora with it); null normally. */
    java.util.function.Consumer<Buffer> frameHook;
    /** Exceptions caught around frame handling: parsers should never throw, so tests expect 0. */
    long unexpectedFailures;
    /** The last of those, for test messages. */
    RuntimeException lastUnexpected;
    /** The DHCP client running on this shard, or null. */
    DhcpClient dhcp;
    private int ipId;
    private boolean readable = true;
    private boolean waiting;
    private boolean stopped;

    NativeStack(NativeNetwork network, int shard, DeviceQueue queue, NativeStackConfig config) {
        this.network = network;
        this.shard = shard;
        this.queue = queue;
        this.config = config;
        this.neighbours = new Neighbours(this, config.neighbourTimeout().toNanos());
        this.tcp = new Tcp(this);
        this.ipId = shard << 12;
    }

    void start() {
        Reactor.current().addPoller(new Poller() {
            @Override
            public boolean poll() {
                return pollDevice();
            }

            @Override
            public boolean tryEnterIdle() {
                armWait();
                return !readable;
            }
        });
        announceIpv4();
        sendRouterSolicitation();
    }

    /** Sends a gratuitous ARP for our IPv4 address (at start, and when DHCP gave us one). */
    void announceIpv4() {
        IpAddr our = network.ipv4;
        if (our != null && !stopped) {
            sendArp(1, our, 0, our);
        }
    }

    /** Stops this shard's stack: connections are reset, channels closed, the queue detached. Shard thread. */
    public void stop() {
        if (stopped) {
            return;
        }
        if (dhcp != null) {
            dhcp.stop();
        }
        tcp.stop();
        for (UdpSocket u : udp.values().toArray(UdpSocket[]::new)) {
            u.close();
        }
        neighbours.clear();
        reassembly.clear();
        stopped = true;
        queue.detach();
    }

    /** @return this shard's counters (read them on this shard). */
    public StackCounters counters() {
        return counters;
    }

    /** @return the network this stack belongs to. */
    public NativeNetwork network() {
        return network;
    }

    @Override
    public String name() {
        return "native";
    }

    @Override
    public ServerSocket listen(SocketAddress address, ListenOptions options) {
        return tcp.listen(address, options);
    }

    @Override
    public Future<ConnectedSocket> connect(SocketAddress remote) {
        return Future.of(() -> tcp.connect(remote));
    }

    /**
     * {@inheritDoc}
     *
     * <p>Every shard may bind the same port once (as with {@code SO_REUSEPORT} on the POSIX stack): a datagram goes
     * to its flow's shard when that shard is bound, else to one of the bound shards chosen by the flow's hash, so
     * one peer's datagrams keep to one shard. A shard binding a port twice gets {@link NetException.AddressInUse}.
     */
    @Override
    public UdpChannel udpChannel(SocketAddress local) {
        if (stopped) {
            throw new NetException.SocketClosed("bind", local);
        }
        int port = local.port();
        long bit = 1L << shard;
        if (port == 0) {
            for (int tries = 0; tries < 30000; tries++) {
                int p = 32768 + (int) ((System.nanoTime() + tries * 7919L) % 28000);
                if (network.udpPorts.putIfAbsent(p, bit) == null) {
                    port = p;
                    break;
                }
            }
            if (port == 0) {
                throw new NetException.AddressInUse(0, local, null);
            }
        } else {
            // Only this shard sets or clears its own bit, so the check and the merge cannot race for it.
            Long bound = network.udpPorts.get(port);
            if (bound != null && (bound & bit) != 0) {
                throw new NetException.AddressInUse(0, local, null);
            }
            network.udpPorts.merge(port, bit, (a, b) -> a | b);
        }
        UdpSocket s = new UdpSocket(this, local.withPort(port));
        udp.put(port, s);
        return s;
    }

    void unbindUdp(int port) {
        udp.remove(port);
        long bit = 1L << shard;
        network.udpPorts.computeIfPresent(port, (p, m) -> (m & ~bit) == 0 ? null : m & ~bit);
    }

    // ------------------------------------------------------------------ device polling

    private boolean pollDevice() {
        if (stopped || !readable) {
            return false;
        }
        int n = queue.receive(sink, RX_BATCH);
        if (n == 0) {
            readable = false;
            armWait();
        }
        return n > 0;
    }

    private void armWait() {
        if (readable || waiting || stopped) {
            return;
        }
        waiting = true;
        queue.whenReadable().onComplete((v, t) -> {
            waiting = false;
            readable = true;
        });
    }

    void transmitFrame(Packet frame, TxOffload offload) {
        if (stopped) {
            frame.release();
            return;
        }
        counters.framesSent++;
        queue.transmit(frame, offload);
    }

    // ------------------------------------------------------------------ receive path

    /** Takes one frame from the device (or, handed in, from another shard). */
    void onFrame(Buffer frame, int flags, boolean handedIn) {
        counters.framesReceived++;
        if (frameHook != null) {
            frameHook.accept(frame);
        }
        try {
            if (frame.length() < ETH) {
                drop(frame, true);
                return;
            }
            MemorySegment s = frame.segment();
            long dst = Bytes.mac(s, 0);
            if (dst != network.mac && dst != BROADCAST_MAC && (dst & 0x0100_0000_0000L) == 0) {
                counters.notForUs++;
                frame.release();
                return;
            }
            int type = u16(s, 12);
            if (type == ETH_ARP) {
                arp(frame, handedIn);
                return;
            }
            if (type != ETH_IPV4 && type != ETH_IPV6) {
                counters.notForUs++;
                frame.release();
                return;
            }
            frame.trimFront(ETH);
            if (type == ETH_IPV4) {
                ipv4(frame, flags, handedIn);
            } else {
                ipv6(frame, flags, handedIn, frame.segment().byteSize() >= 22 ? Bytes.mac(s, 6) : -1);
            }
        } catch (RuntimeException e) {
            // Parsers check lengths before reading; anything that still slips through is a malformed frame.
            counters.malformed++;
            unexpectedFailures++;
            lastUnexpected = e;
            try {
                frame.release();
            } catch (IllegalStateException alreadyReleased) {
                // the handler had released it before failing
            }
        }
    }

    private void drop(Buffer b, boolean malformed) {
        if (malformed) {
            counters.malformed++;
        } else {
            counters.notForUs++;
        }
        b.release();
    }

    /**
     * Gives an IP packet (no Ethernet header) to the shard that owns its flow. The packet is copied first: it is a
     * view of a receive area whose other frames stay here, and a storage's count must only ever be touched by one
     * thread. Only the first packets of a flow take this path when the device steers.
     */
    private void handOff(int target, Buffer view, int flags, boolean v6) {
        counters.handedOff++;
        Buffer ip = Buffer.allocate(view.length());
        MemorySegment.copy(view.segment(), 0, ip.segment(), 0, view.length());
        view.release();
        Smp.submitTo(target, () -> {
            NativeStack other = network.stacks[target];
            if (other == null || other.stopped) {
                ip.release();
            } else {
                other.counters.handedIn++;
                if (v6) {
                    other.ipv6(ip, flags, true, -1);
                } else {
                    other.ipv4(ip, flags, true);
                }
            }
            return Future.done();
        });
    }

    /** Copies a neighbour-discovery frame to every other shard, so each cache learns from it. */
    private void shareWithOthers(Buffer frame, boolean v6IpOnly) {
        if (network.shardCount() == 1) {
            return;
        }
        byte[] bytes = frame.toArray();
        for (int i = 0; i < network.shardCount(); i++) {
            if (i == shard) {
                continue;
            }
            int target = i;
            Buffer copy = Buffer.copyOf(bytes);
            Smp.submitTo(target, () -> {
                NativeStack other = network.stacks[target];
                if (other == null || other.stopped) {
                    copy.release();
                } else if (v6IpOnly) {
                    other.ipv6(copy, 0, true, -1);
                } else {
                    other.onFrame(copy, 0, true);
                }
                return Future.done();
            });
        }
    }

    // ------------------------------------------------------------------ ARP

    private void arp(Buffer frame, boolean handedIn) {
        MemorySegment s = frame.segment();
        if (frame.length() < ETH + 28 || u16(s, ETH) != 1 || u16(s, ETH + 2) != ETH_IPV4 || u8(s, ETH + 4) != 6
                || u8(s, ETH + 5) != 4) {
            drop(frame, true);
            return;
        }
        IpAddr our = network.ipv4;
        if (our == null) {
            drop(frame, false);
            return;
        }
        int op = u16(s, ETH + 6);
        long sha = Bytes.mac(s, ETH + 8);
        IpAddr spa = IpAddr.v4(u32(s, ETH + 14));
        IpAddr tpa = IpAddr.v4(u32(s, ETH + 24));
        boolean forUs = tpa.equals(our);
        if (!spa.isAny() && sha != network.mac) {
            neighbours.learn(spa, sha, forUs);
        }
        if (!handedIn) {
            if (op == 1 && forUs) {
                sendArp(2, our, sha, spa);
            }
            shareWithOthers(frame, false);
        }
        frame.release();
    }

    private void sendArp(int op, IpAddr sender, long targetMac, IpAddr target) {
        Buffer b = Buffer.allocate(ETH + 28);
        MemorySegment s = b.segment();
        Bytes.putMac(s, 0, op == 1 ? BROADCAST_MAC : targetMac);
        Bytes.putMac(s, 6, network.mac);
        put16(s, 12, ETH_ARP);
        put16(s, ETH, 1);
        put16(s, ETH + 2, ETH_IPV4);
        put8(s, ETH + 4, 6);
        put8(s, ETH + 5, 4);
        put16(s, ETH + 6, op);
        Bytes.putMac(s, ETH + 8, network.mac);
        put32(s, ETH + 14, sender.v4());
        Bytes.putMac(s, ETH + 18, op == 1 ? 0 : targetMac);
        put32(s, ETH + 24, target.v4());
        transmitFrame(Packet.of(b), TxOffload.NONE);
    }

    void sendNeighbourRequest(IpAddr ip) {
        counters.neighbourRequests++;
        if (!ip.v6()) {
            IpAddr our = network.ipv4;
            if (our != null) {
                sendArp(1, our, 0, ip);
            }
            return;
        }
        // Neighbour solicitation to the solicited-node group, carrying our link-layer address.
        Buffer b = icmp6Frame(32);
        MemorySegment s = b.segment();
        int o = ETH + 40;
        put8(s, o, 135);
        put64(s, o + 8, ip.hi());
        put64(s, o + 16, ip.lo());
        put8(s, o + 24, 1);
        put8(s, o + 25, 1);
        Bytes.putMac(s, o + 26, network.mac);
        sendIcmp6(b, sourceFor(ip), ip.solicitedNode(), 255);
    }

    private void sendRouterSolicitation() {
        Buffer b = icmp6Frame(16);
        MemorySegment s = b.segment();
        int o = ETH + 40;
        put8(s, o, 133);
        put8(s, o + 8, 1);
        put8(s, o + 9, 1);
        Bytes.putMac(s, o + 10, network.mac);
        sendIcmp6(b, network.linkLocal6, ALL_ROUTERS, 255);
    }

    // ------------------------------------------------------------------ IPv4

    void ipv4(Buffer p, int flags, boolean handedIn) {
        MemorySegment s = p.segment();
        int len = p.length();
        if (len < 20) {
            drop(p, true);
            return;
        }
        int vihl = u8(s, 0);
        int ihl = (vihl & 0xf) * 4;
        int total = u16(s, 2);
        if ((vihl >>> 4) != 4 || ihl < 20 || total < ihl || total > len) {
            drop(p, true);
            return;
        }
        if (Checksum.fold(Checksum.sum(s, 0, ihl)) != 0xffff) {
            counters.badChecksum++;
            p.release();
            return;
        }
        IpAddr dst = IpAddr.v4(u32(s, 16));
        IpAddr src = IpAddr.v4(u32(s, 12));
        IpAddr our = network.ipv4;
        // Without an address (DHCP still asking) only limited broadcasts are ours.
        if (our == null ? dst.v4() != -1 : !dst.equals(our) && dst.v4() != -1 && !isSubnetBroadcast(dst, our)) {
            drop(p, false);
            return;
        }
        if (total < len) {
            p.trim(total);
        }
        int proto = u8(s, 9);
        int frag = u16(s, 6);
        boolean more = (frag & 0x2000) != 0;
        int offset = (frag & 0x1fff) * 8;
        if (more || offset != 0) {
            int owner = network.flowShard(dst, src, u16(s, 4), proto);
            if (owner != shard && !handedIn) {
                handOff(owner, p, flags, false);
                return;
            }
            byte[] header = Reassembly.headerCopyOf(s, ihl);
            int id = u16(s, 4);
            Buffer payload = p.share(ihl, total - ihl);
            p.release();
            Buffer whole = reassembly.add(new Reassembly.Key(src, dst, id, proto), header, offset,
                    more, payload);
            if (whole != null) {
                MemorySegment w = whole.segment();
                put16(w, 2, whole.length());
                put16(w, 6, 0);
                put16(w, 10, 0);
                put16(w, 10, Checksum.finish(Checksum.sum(w, 0, ihl)));
                ipv4(whole, 0, false);
            }
            return;
        }
        switch (proto) {
            case PROTO_TCP, PROTO_UDP -> {
                if (total - ihl < 8) {
                    drop(p, true);
                    return;
                }
                int sport = u16(s, ihl), dport = u16(s, ihl + 2);
                int owner = proto == PROTO_TCP ? network.tcpOwner(dst, src, dport, sport) : udpOwner(dst, src, dport, sport);
                if (owner != shard && !handedIn) {
                    handOff(owner, p, flags, false);
                    return;
                }
                p.trimFront(ihl);
                if (proto == PROTO_TCP) {
                    tcp.receive(src, dst, p, flags);
                } else {
                    udpReceive(src, dst, p, flags);
                }
            }
            case PROTO_ICMP -> icmp4(p, ihl, src, dst, flags, handedIn);
            default -> drop(p, false);
        }
    }

    private boolean isSubnetBroadcast(IpAddr dst, IpAddr our) {
        int mask = network.netmask4.v4();
        return (dst.v4() & mask) == (our.v4() & mask) && (dst.v4() | mask) == -1;
    }

    private int udpOwner(IpAddr local, IpAddr remote, int localPort, int remotePort) {
        int owner = network.udpOwner(local, remote, localPort, remotePort);
        return owner < 0 ? shard : owner;
    }

    private void icmp4(Buffer p, int ihl, IpAddr src, IpAddr dst, int flags, boolean handedIn) {
        MemorySegment s = p.segment();
        int len = p.length() - ihl;
        if (len < 8) {
            drop(p, true);
            return;
        }
        if (Checksum.fold(Checksum.sum(s, ihl, len)) != 0xffff) {
            counters.badChecksum++;
            p.release();
            return;
        }
        int type = u8(s, ihl);
        if (type == 8) {
            counters.echoReplies++;
            Buffer b = Buffer.allocate(ETH + 20 + len);
            MemorySegment o = b.segment();
            MemorySegment.copy(s, ihl, o, ETH + 20, len);
            put8(o, ETH + 20, 0);
            put16(o, ETH + 22, 0);
            put16(o, ETH + 22, Checksum.finish(Checksum.sum(o, ETH + 20, len)));
            p.release();
            sendIp(Packet.of(b), network.ipv4, src, PROTO_ICMP, TxOffload.NONE, 64);
            return;
        }
        if (type == 3 && len >= 8 + 20 + 8) {
            int inner = ihl + 8;
            int innerIhl = (u8(s, inner) & 0xf) * 4;
            int innerProto = u8(s, inner + 9);
            if (innerProto == PROTO_TCP && len >= 8 + innerIhl + 8) {
                IpAddr local = IpAddr.v4(u32(s, inner + 12));
                IpAddr remote = IpAddr.v4(u32(s, inner + 16));
                int lport = u16(s, inner + innerIhl), rport = u16(s, inner + innerIhl + 2);
                int owner = network.tcpOwner(local, remote, lport, rport);
                if (owner != shard && !handedIn) {
                    handOff(owner, p, flags, false);
                    return;
                }
                int code = u8(s, ihl + 1);
                int mtu = u16(s, ihl + 6);
                if (code == 4 && mtu >= 68) {
                    pathMtu.put(remote, mtu);
                }
                tcp.icmpError(local, remote, lport, rport, code == 4 ? Tcp.ICMP_FRAG_NEEDED : Tcp.ICMP_UNREACHABLE, mtu);
            }
        }
        p.release();
    }

    // ------------------------------------------------------------------ IPv6

    void ipv6(Buffer p, int flags, boolean handedIn, long srcMac) {
        MemorySegment s = p.segment();
        int len = p.length();
        if (len < 40 || (u8(s, 0) >>> 4) != 6) {
            drop(p, true);
            return;
        }
        int payloadLen = u16(s, 4);
        if (40 + payloadLen > len) {
            drop(p, true);
            return;
        }
        if (40 + payloadLen < len) {
            p.trim(40 + payloadLen);
            len = 40 + payloadLen;
        }
        IpAddr src = new IpAddr(u64(s, 8), u64(s, 16), true);
        IpAddr dst = new IpAddr(u64(s, 24), u64(s, 32), true);
        if (!isOurs6(dst)) {
            drop(p, false);
            return;
        }
        int nh = u8(s, 6);
        int off = 40;
        while (nh == 0 || nh == 43 || nh == 60) {
            if (off + 8 > len) {
                drop(p, true);
                return;
            }
            nh = u8(s, off);
            off += (u8(s, off + 1) + 1) * 8;
        }
        if (off > len) {
            drop(p, true);
            return;
        }
        if (nh == 44) {
            if (off + 8 > len) {
                drop(p, true);
                return;
            }
            int id = u32(s, off + 4);
            int owner = network.flowShard(dst, src, id & 0xffff, id >>> 16);
            if (owner != shard && !handedIn) {
                handOff(owner, p, flags, true);
                return;
            }
            int fo = u16(s, off + 2);
            byte[] header = Reassembly.headerCopyOf(s, 40);
            header[6] = (byte) u8(s, off);
            Buffer payload = p.share(off + 8, len - off - 8);
            p.release();
            Buffer whole = reassembly.add(new Reassembly.Key(src, dst, id, header[6] & 0xff), header, fo & 0xfff8,
                    (fo & 1) != 0, payload);
            if (whole != null) {
                put16(whole.segment(), 4, whole.length() - 40);
                ipv6(whole, 0, false, -1);
            }
            return;
        }
        switch (nh) {
            case PROTO_TCP, PROTO_UDP -> {
                if (len - off < 8) {
                    drop(p, true);
                    return;
                }
                int sport = u16(s, off), dport = u16(s, off + 2);
                int owner = nh == PROTO_TCP ? network.tcpOwner(dst, src, dport, sport) : udpOwner(dst, src, dport, sport);
                if (owner != shard && !handedIn) {
                    handOff(owner, p, flags, true);
                    return;
                }
                p.trimFront(off);
                if (nh == PROTO_TCP) {
                    tcp.receive(src, dst, p, flags);
                } else {
                    udpReceive(src, dst, p, flags);
                }
            }
            case PROTO_ICMP6 -> icmp6(p, off, src, dst, u8(s, 7), flags, handedIn);
            default -> drop(p, false);
        }
    }

    private boolean isOurs6(IpAddr dst) {
        if (dst.equals(network.linkLocal6) || dst.equals(network.ipv6) || dst.equals(ALL_NODES)) {
            return true;
        }
        return dst.equals(network.linkLocal6.solicitedNode())
                || (network.ipv6 != null && dst.equals(network.ipv6.solicitedNode()));
    }

    private void icmp6(Buffer p, int off, IpAddr src, IpAddr dst, int hopLimit, int flags, boolean handedIn) {
        MemorySegment s = p.segment();
        int len = p.length() - off;
        if (len < 8) {
            drop(p, true);
            return;
        }
        long sum = Checksum.pseudo6(src, dst, PROTO_ICMP6, len) + Checksum.sum(s, off, len);
        if (Checksum.fold(sum) != 0xffff) {
            counters.badChecksum++;
            p.release();
            return;
        }
        int type = u8(s, off);
        switch (type) {
            case 128 -> {
                counters.echoReplies++;
                Buffer b = icmp6Frame(len);
                MemorySegment o = b.segment();
                MemorySegment.copy(s, off, o, ETH + 40, len);
                put8(o, ETH + 40, 129);
                IpAddr from = dst.isMulticast6() ? sourceFor(src) : dst;
                p.release();
                sendIcmp6(b, from, src, 64);
            }
            case 135, 136, 134 -> {
                if (hopLimit != 255) {
                    drop(p, true);
                    return;
                }
                ndp(type, s, off, len, src);
                if (!handedIn) {
                    if (type == 135) {
                        answerSolicitation(s, off, len, src);
                    }
                    shareWithOthers(p, true);
                }
                p.release();
            }
            case 2, 1 -> {
                // Packet too big / unreachable: the invoking packet starts at off + 8.
                int inner = off + 8;
                if (len >= 8 + 40 + 8 && u8(s, inner + 6) == PROTO_TCP) {
                    IpAddr local = new IpAddr(u64(s, inner + 8), u64(s, inner + 16), true);
                    IpAddr remote = new IpAddr(u64(s, inner + 24), u64(s, inner + 32), true);
                    int lport = u16(s, inner + 40), rport = u16(s, inner + 42);
                    int owner = network.tcpOwner(local, remote, lport, rport);
                    if (owner != shard && !handedIn) {
                        handOff(owner, p, flags, true);
                        return;
                    }
                    int mtu = u32(s, off + 4);
                    if (type == 2 && mtu >= 1280) {
                        pathMtu.put(remote, mtu);
                    }
                    tcp.icmpError(local, remote, lport, rport, type == 2 ? Tcp.ICMP_FRAG_NEEDED : Tcp.ICMP_UNREACHABLE, mtu);
                }
                p.release();
            }
            default -> p.release();
        }
    }

    private void ndp(int type, MemorySegment s, int off, int len, IpAddr src) {
        int optStart = type == 134 ? 16 : 24;
        if (len < optStart) {
            return;
        }
        long optMac = -1;
        for (int o = off + optStart; o + 8 <= off + len; ) {
            int olen = u8(s, o + 1) * 8;
            if (olen == 0) {
                counters.malformed++;
                return;
            }
            if ((u8(s, o) == 1 || u8(s, o) == 2) && olen >= 8) {
                optMac = Bytes.mac(s, o + 2);
            }
            o += olen;
        }
        if (type == 135 && optMac >= 0 && !src.isAny()) {
            IpAddr target = new IpAddr(u64(s, off + 8), u64(s, off + 16), true);
            neighbours.learn(src, optMac, isOurs6(target));
        } else if (type == 136) {
            IpAddr target = new IpAddr(u64(s, off + 8), u64(s, off + 16), true);
            if (optMac >= 0) {
                neighbours.learn(target, optMac, false);
            }
        } else if (type == 134) {
            if (optMac >= 0) {
                neighbours.learn(src, optMac, true);
            }
            router6 = u16(s, off + 6) == 0 ? null : src;
        }
    }

    private void answerSolicitation(MemorySegment s, int off, int len, IpAddr src) {
        if (len < 24) {
            return;
        }
        IpAddr target = new IpAddr(u64(s, off + 8), u64(s, off + 16), true);
        if (!target.equals(network.linkLocal6) && !target.equals(network.ipv6)) {
            return;
        }
        Buffer b = icmp6Frame(32);
        MemorySegment o = b.segment();
        int i = ETH + 40;
        put8(o, i, 136);
        put32(o, i + 4, src.isAny() ? 0x2000_0000 : 0x6000_0000); // solicited (unless DAD) + override
        put64(o, i + 8, target.hi());
        put64(o, i + 16, target.lo());
        put8(o, i + 24, 2);
        put8(o, i + 25, 1);
        Bytes.putMac(o, i + 26, network.mac);
        sendIcmp6(b, target, src.isAny() ? ALL_NODES : src, 255);
    }

    /** @return a frame buffer with room for Ethernet + IPv6 headers and an ICMPv6 message of {@code len} bytes. */
    private static Buffer icmp6Frame(int len) {
        Buffer b = Buffer.allocate(ETH + 40 + len);
        b.segment().fill((byte) 0);
        return b;
    }

    private void sendIcmp6(Buffer b, IpAddr src, IpAddr dst, int hopLimit) {
        MemorySegment o = b.segment();
        int len = b.length() - ETH - 40;
        put16(o, ETH + 40 + 2, 0);
        long sum = Checksum.pseudo6(src, dst, PROTO_ICMP6, len) + Checksum.sum(o, ETH + 40, len);
        put16(o, ETH + 40 + 2, Checksum.finish(sum));
        sendIp(Packet.of(b), src, dst, PROTO_ICMP6, TxOffload.NONE, hopLimit);
    }

    // ------------------------------------------------------------------ transmit path

    /** @return our source address for talking to {@code dst}. */
    IpAddr sourceFor(IpAddr dst) {
        if (!dst.v6()) {
            return network.ipv4;
        }
        return dst.isLinkLocal6() || dst.isMulticast6() || network.ipv6 == null ? network.linkLocal6 : network.ipv6;
    }

    /** @return the neighbour to send to for {@code dst}, or null when there is no route. */
    IpAddr nextHop(IpAddr dst) {
        if (!dst.v6()) {
            IpAddr our = network.ipv4;
            if (dst.v4() == -1) {
                return dst; // limited broadcast: on-link, even before DHCP gave us an address
            }
            if (our == null) {
                return null;
            }
            int mask = network.netmask4.v4();
            if ((dst.v4() & mask) == (our.v4() & mask)) {
                return dst;
            }
            return network.gateway4;
        }
        if (dst.isLinkLocal6() || dst.isMulticast6()) {
            return dst;
        }
        if (network.ipv6 != null && samePrefix(dst, network.ipv6, network.prefix6)) {
            return dst;
        }
        return network.gateway6 != null ? network.gateway6 : router6;
    }

    private static boolean samePrefix(IpAddr a, IpAddr b, int bits) {
        if (bits <= 64) {
            long m = bits == 0 ? 0 : -1L << (64 - bits);
            return (a.hi() & m) == (b.hi() & m);
        }
        long m = -1L << (128 - bits);
        return a.hi() == b.hi() && (a.lo() & m) == (b.lo() & m);
    }

    /** @return the IP MTU towards {@code dst}: the link's, or less when ICMP said so. */
    int mtuTo(IpAddr dst) {
        Integer m = pathMtu.get(dst);
        return m == null ? network.mtu : Math.min(m, network.mtu);
    }

    /** @return bytes of IP header this stack writes for the family of {@code dst}. */
    static int ipHeaderLength(IpAddr dst) {
        return dst.v6() ? 40 : 20;
    }

    /**
     * Fills the IP and Ethernet headers at the front of {@code frame}'s first fragment (room left by the caller) and
     * sends it towards {@code dst}. Drops it (counted) when there is no route.
     */
    void sendIp(Packet frame, IpAddr src, IpAddr dst, int protocol, TxOffload offload, int hopLimit) {
        IpAddr hop = nextHop(dst);
        if (hop == null || src == null) {
            counters.neighbourDrops++;
            frame.release();
            return;
        }
        MemorySegment h = frame.fragment(0).segment();
        int ipLen = (int) frame.length() - ETH;
        Bytes.putMac(h, 6, network.mac);
        if (!dst.v6()) {
            put16(h, 12, ETH_IPV4);
            put8(h, ETH, 0x45);
            put8(h, ETH + 1, 0);
            put16(h, ETH + 2, offload.gsoSize() > 0 ? 0 : ipLen);
            put16(h, ETH + 4, ipId++);
            put16(h, ETH + 6, protocol == PROTO_TCP ? 0x4000 : 0);
            put8(h, ETH + 8, hopLimit);
            put8(h, ETH + 9, protocol);
            put16(h, ETH + 10, 0);
            put32(h, ETH + 12, src.v4());
            put32(h, ETH + 16, dst.v4());
            if (offload.gsoSize() > 0) {
                put16(h, ETH + 2, Math.min(ipLen, 65535));
            }
            put16(h, ETH + 10, Checksum.finish(Checksum.sum(h, ETH, 20)));
        } else {
            put16(h, 12, ETH_IPV6);
            put32(h, ETH, 0x6000_0000);
            put16(h, ETH + 4, ipLen - 40);
            put8(h, ETH + 6, protocol);
            put8(h, ETH + 7, hopLimit);
            put64(h, ETH + 8, src.hi());
            put64(h, ETH + 16, src.lo());
            put64(h, ETH + 24, dst.hi());
            put64(h, ETH + 32, dst.lo());
        }
        if (!dst.v6() && dst.v4() == -1) {
            Bytes.putMac(h, 0, BROADCAST_MAC);
            transmitFrame(frame, offload);
            return;
        }
        neighbours.send(hop, frame, offload);
    }

    /** @return true when the device completes transport checksums for us. */
    boolean checksumOffload() {
        return (network.device().offloads() & DeviceQueue.TX_CHECKSUM) != 0;
    }

    // ------------------------------------------------------------------ UDP

    private void udpReceive(IpAddr src, IpAddr dst, Buffer p, int flags) {
        MemorySegment s = p.segment();
        int ulen = u16(s, 4);
        if (ulen < 8 || ulen > p.length()) {
            drop(p, true);
            return;
        }
        if (ulen < p.length()) {
            p.trim(ulen);
        }
        int cs = u16(s, 6);
        if ((flags & DeviceQueue.RX_CHECKSUM_OK) == 0 && (cs != 0 || src.v6())) {
            long sum = (src.v6() ? Checksum.pseudo6(src, dst, PROTO_UDP, ulen)
                    : Checksum.pseudo4(src.v4(), dst.v4(), PROTO_UDP, ulen)) + Checksum.sum(s, 0, ulen);
            if (Checksum.fold(sum) != 0xffff) {
                counters.badChecksum++;
                p.release();
                return;
            }
        }
        UdpSocket sock = udp.get(u16(s, 2));
        if (sock == null || !sock.accepts(dst)) {
            counters.udpNoPort++;
            p.release();
            return;
        }
        int sport = u16(s, 0);
        p.trimFront(8);
        sock.deliver(new SocketAddress(src.toInet(), sport), p);
    }

    /** Sends one UDP datagram, fragmenting over IPv4 when it exceeds the path MTU. */
    void udpSend(IpAddr src, int sport, IpAddr dst, int dport, Packet payload) {
        int ulen = 8 + (int) payload.length();
        int ipHdr = ipHeaderLength(dst);
        Buffer hdr = Buffer.allocate(ETH + ipHdr + 8);
        MemorySegment h = hdr.segment();
        int o = ETH + ipHdr;
        put16(h, o, sport);
        put16(h, o + 2, dport);
        put16(h, o + 4, ulen);
        put16(h, o + 6, 0);
        long sum = (dst.v6() ? Checksum.pseudo6(src, dst, PROTO_UDP, ulen) : Checksum.pseudo4(src.v4(), dst.v4(), PROTO_UDP, ulen))
                + Checksum.sum(h, o, 8) + Checksum.sum(payload, 0);
        int cs = Checksum.finish(sum);
        put16(h, o + 6, cs == 0 ? 0xffff : cs);
        Packet frame = Packet.of(hdr).append(payload);
        int mtu = mtuTo(dst);
        if (ipHdr + ulen <= mtu) {
            sendIp(frame, src, dst, PROTO_UDP, TxOffload.NONE, 64);
            return;
        }
        if (dst.v6()) {
            frame.release();
            throw new NetException("datagram of " + ulen + " bytes exceeds the path MTU " + mtu, 0, null, null);
        }
        // IPv4 fragmentation: cut the UDP header + payload into 8-byte-aligned pieces behind copies of the IP header.
        Buffer all = frame.linearize();
        frame.release();
        int chunk = ((mtu - 20) / 8) * 8;
        int id = ipId++;
        for (int off = 0; off < ulen; off += chunk) {
            int n = Math.min(chunk, ulen - off);
            Buffer f = Buffer.allocate(ETH + 20 + n);
            MemorySegment fs = f.segment();
            MemorySegment.copy(all.segment(), ETH + 20 + off, fs, ETH + 20, n);
            Bytes.putMac(fs, 6, network.mac);
            put16(fs, 12, ETH_IPV4);
            put8(fs, ETH, 0x45);
            put8(fs, ETH + 1, 0);
            put16(fs, ETH + 2, 20 + n);
            put16(fs, ETH + 4, id);
            put16(fs, ETH + 6, (off + n < ulen ? 0x2000 : 0) | (off / 8));
            put8(fs, ETH + 8, 64);
            put8(fs, ETH + 9, PROTO_UDP);
            put16(fs, ETH + 10, 0);
            put32(fs, ETH + 12, src.v4());
            put32(fs, ETH + 16, dst.v4());
            put16(fs, ETH + 10, Checksum.finish(Checksum.sum(fs, ETH, 20)));
            IpAddr hop = nextHop(dst);
            if (hop == null) {
                f.release();
                counters.neighbourDrops++;
            } else {
                neighbours.send(hop, Packet.of(f), TxOffload.NONE);
            }
        }
        all.release();
    }

    @Override
    public String toString() {
        return "native stack on shard " + shard + " over " + network.device().describe();
    }
}
