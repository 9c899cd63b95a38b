package io.percore.sctp;

import io.percore.core.Future;
import io.percore.memory.Buffer;
import io.percore.net.SocketAddress;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One shard's SCTP endpoint over one {@link SctpTransport}: demultiplexes packets to associations and listeners,
 * answers INITs statelessly with signed cookies, creates associations from valid COOKIE-ECHOs, and applies the
 * out-of-the-blue rules (RFC 9260 section 8.4) — but only on ports it owns: packets to any other port are ignored,
 * as every raw socket of the host sees every SCTP packet. Owner shard only.
 *
 * <p>Verification tags: with {@link #routeTags(int, int)} every local tag this stack picks is congruent to its
 * shard, so that a packet's tag names the shard of its association.
 *
 * <p>A stack made by {@link ShardedSctpStack#start} is one of a group, one per shard: it handles only the packets
 * of associations its shard owns, hands the others to their owner (or drops them when every shard's transport
 * sees every packet), and its ephemeral {@link #connect} ports are chosen so that this shard owns the association.
 */
public final class SctpStack {
    final SctpTransport transport;
    private final Map<Key, SctpAssociation> associations = new HashMap<>();
    private final Map<Integer, SctpServerSocket> listeners = new HashMap<>();
    private final Map<Integer, Integer> connectPorts = new HashMap<>();
    private final StateCookie.Signer signer;
    private final SplittableRandom random;
    private final byte[] scratch = new byte[65536];
    private final byte[] steered = new byte[65536];
    private final ShardedSctpStack group;
    private final int shardId;
    private final int shardCount;
    private int tagModulus = 1;
    private int tagResidue;
    private boolean closed;
    private long malformed;
    private long badTag;
    private long ignored;
    private long outOfTheBlue;
    private long handedOff;
    private long takenOver;
    private long notOwned;

    /** What names an association within a stack: local port, peer port and any one of the peer's addresses. */
    record Key(int localPort, int peerPort, InetAddress peer) {
    }

    /**
     * This shard's copy of the group's owner table: the owner shard of every (local port, peer port, peer address)
     * of the associations the group publishes (see {@link #publish}). Read only for packets that carry no tag of
     * ours (INIT, ABORT and SHUTDOWN-COMPLETE with the T bit), so DATA, SACKs and heartbeats never look at it.
     */
    private final Map<Key, Integer> owners = new HashMap<>();

    /** Creates a stack over {@code transport} and starts it. Owner shard thread. */
    public SctpStack(SctpTransport transport) {
        this(transport, null, 0, 1);
    }

    /** A member of {@code group}: shard {@code shardId} of {@code shardCount}. Owner shard thread. */
    SctpStack(SctpTransport transport, ShardedSctpStack group, int shardId, int shardCount) {
        this.transport = transport;
        this.group = group;
        this.shardId = shardId;
        this.shardCount = shardCount;
        if (group != null) {
            this.tagModulus = shardCount;
            this.tagResidue = shardId;
        }
        SecureRandom seed = new SecureRandom();
        byte[] secret = new byte[32];
        seed.nextBytes(secret);
        this.signer = new StateCookie.Signer(secret);
        this.random = new SplittableRandom(seed.nextLong());
        transport.start(this::onPacket);
    }

    /**
     * Makes every local verification tag congruent to {@code residue} modulo {@code modulus}, so that packets can
     * be routed to this shard by tag. Call before any association exists.
     */
    public void routeTags(int modulus, int residue) {
        if (modulus < 1 || residue < 0 || residue >= modulus) {
            throw new IllegalArgumentException("bad tag route " + residue + " mod " + modulus);
        }
        this.tagModulus = modulus;
        this.tagResidue = residue;
    }

    /**
     * Listens on {@code local.port()} (the SCTP port; the transport decides the IP addresses).
     *
     * @throws SctpException when the port is in use on this stack
     */
    public SctpServerSocket listen(SocketAddress local, InitOptions options) {
        int port = local.port();
        if (port == 0 || listeners.containsKey(port) || connectPorts.containsKey(port)) {
            throw new SctpException("SCTP port " + port + " is in use or invalid");
        }
        SctpServerSocket s = new SctpServerSocket(this, port, options, 128);
        listeners.put(port, s);
        return s;
    }

    /** @return this stack's listener on SCTP port {@code port}, or null. Owner shard. */
    public SctpServerSocket listener(int port) {
        return listeners.get(port);
    }

    /**
     * Opens an association to {@code remote} (its IP and SCTP port) from an ephemeral local port (in a
     * {@link ShardedSctpStack}, one whose association this shard owns).
     *
     * @return the association once ESTABLISHED; fails with {@link SctpException.ConnectFailed}
     */
    public Future<SctpAssociation> connect(SocketAddress remote, InitOptions options) {
        int port;
        do {
            port = 49152 + random.nextInt(16384);
        } while (listeners.containsKey(port) || connectPorts.containsKey(port)
                || ShardedSctpStack.ownerOf(remote.ip(), remote.port(), port, shardCount) != shardId);
        return connect(port, remote, options);
    }

    /**
     * As {@link #connect(SocketAddress, InitOptions)} from local SCTP port {@code localPort}. In a
     * {@link ShardedSctpStack} the port must give an association this shard owns
     * ({@link ShardedSctpStack#ownerOf}); otherwise the future fails with {@link SctpException}.
     */
    public Future<SctpAssociation> connect(int localPort, SocketAddress remote, InitOptions options) {
        if (closed) {
            return Future.failed(new SctpException.Closed("stack closed"));
        }
        if (!AddressScope.carries(transport, remote.ip())) { // fail now, not after every INIT retry
            return Future.failed(new SctpException.ConnectFailed("this transport does not carry "
                    + remote.ip().getHostAddress() + "'s address family"));
        }
        int owner = ShardedSctpStack.ownerOf(remote.ip(), remote.port(), localPort, shardCount);
        if (owner != shardId) {
            return Future.failed(new SctpException("local port " + localPort + " to " + remote
                    + " gives an association of shard " + owner + ", not of this shard " + shardId));
        }
        SocketAddress path = transport.transportAddress(remote.ip());
        Key k = new Key(localPort, remote.port(), remote.ip());
        if (associations.containsKey(k)) {
            return Future.failed(new SctpException("an association " + localPort + " -> " + remote + " exists"));
        }
        SctpAssociation a = new SctpAssociation(this, options, localPort, remote.port(), path,
                SctpAssociation.State.COOKIE_WAIT);
        a.openedHere = true;
        connectPorts.merge(localPort, 1, Integer::sum);
        registerPath(a, remote.ip());
        publish(a);
        return a.startConnect(newTag(), random.nextInt());
    }

    /** Aborts every association, closes every listener and the transport. */
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (SctpServerSocket s : new ArrayList<>(listeners.values())) {
            s.close();
        }
        for (SctpAssociation a : new ArrayList<>(associations.values())) {
            a.abort("stack closed");
        }
        transport.close();
    }

    /** @return counters of dropped packets: {malformed or bad checksum, wrong tag, port not ours, out of the blue}. */
    public long[] dropCounters() {
        return new long[] {malformed, badTag, ignored, outOfTheBlue};
    }

    /**
     * @return steering counters: {packets handed to their owner shard, packets taken from other shards, packets
     * dropped because another shard owns them (transports where every shard sees every packet)}
     */
    public long[] steeringCounters() {
        return new long[] {handedOff, takenOver, notOwned};
    }

    /**
     * @return how many entries this shard's copy of the group's owner table holds (addresses of multi-homed
     * associations and of associations opened by {@code connect}, on every shard); 0 outside a group
     */
    public int ownerTableSize() {
        return owners.size();
    }

    /** @return how many associations this stack holds (any state). */
    public int associationCount() {
        return (int) associations.values().stream().distinct().count();
    }

    // ---------------------------------------------------------------------------------------------

    SplittableRandom random() {
        return random;
    }

    int newTag() {
        for (;;) {
            int t = random.nextInt();
            if (tagModulus > 1) {
                t = t - Integer.remainderUnsigned(t, tagModulus) + tagResidue;
            }
            if (t != 0) {
                return t;
            }
        }
    }

    void send(SocketAddress to, int srcPort, int dstPort, int tag, List<Chunk> chunks) {
        int n = SctpCodec.encode(new SctpPacket(srcPort, dstPort, tag, chunks), scratch, 0);
        transport.send(to, scratch, 0, n);
    }

    /**
     * {@code ip} is now one of {@code a}'s peer addresses: packets from it find {@code a}. The group learns it at
     * the next {@link #publish}.
     */
    void registerPath(SctpAssociation a, InetAddress ip) {
        associations.putIfAbsent(new Key(a.localPort, a.peerPort, ip), a);
    }

    /** {@code ip} is no longer one of {@code a}'s peer addresses (a restarted peer left it out). */
    void unregisterPath(SctpAssociation a, InetAddress ip) {
        associations.remove(new Key(a.localPort, a.peerPort, ip), a);
    }

    void forget(SctpAssociation a) {
        boolean removed = associations.values().removeIf(x -> x == a);
        if (removed) {
            connectPorts.computeIfPresent(a.localPort, (p, n) -> n == 1 ? null : n - 1);
        }
        publish(a); // closed: withdraws all it published
    }

    /**
     * Brings the group's owner table up to date with {@code a}'s peer addresses: this shard's copy at once, the
     * other shards' through one cross-shard message each. Published are the associations whose owner a tagless
     * packet could otherwise miss: a multi-homed peer's (its other addresses hash elsewhere, and a restarting peer
     * may speak from any of them first) and those opened by {@code connect} (the peer's colliding INIT may come
     * from an address we have not learnt yet, but it lists the one we connected to), and any whose one address does
     * not hash to its owner (a peer that restarted from an address it alone kept). A single-homed peer of a passive
     * association needs no entry otherwise: the hash of its one address names the owner. Called once a change of
     * the association's addresses is complete (set-up, INIT-ACK, restart, end), so that the other shards get one
     * message for it.
     */
    void publish(SctpAssociation a) {
        if (group == null) {
            return;
        }
        List<InetAddress> now = new ArrayList<>(2);
        if (a.state() != SctpAssociation.State.CLOSED && (a.openedHere || a.paths().size() > 1
                || ShardedSctpStack.ownerOf(a.peerAddress().ip(), a.peerPort, a.localPort, shardCount) != shardId)) {
            for (SctpAssociation.Path p : a.paths()) {
                InetAddress ip = p.address.ip();
                if (associations.get(new Key(a.localPort, a.peerPort, ip)) == a && !now.contains(ip)) {
                    now.add(ip);
                }
            }
        }
        List<Key> added = new ArrayList<>(), removed = new ArrayList<>();
        for (InetAddress ip : now) {
            if (!a.published.contains(ip)) {
                added.add(new Key(a.localPort, a.peerPort, ip));
            }
        }
        for (InetAddress ip : a.published) {
            if (!now.contains(ip)) {
                removed.add(new Key(a.localPort, a.peerPort, ip));
            }
        }
        if (added.isEmpty() && removed.isEmpty()) {
            return;
        }
        a.published = now;
        applyOwners(shardId, added, removed);
        group.publish(shardId, added, removed);
    }

    /** Shard {@code owner} gained the peer addresses {@code added} and lost {@code removed}. */
    void applyOwners(int owner, List<Key> added, List<Key> removed) {
        for (Key k : removed) {
            owners.remove(k, owner); // not another shard's newer association with the same addresses and ports
        }
        for (Key k : added) {
            owners.put(k, owner);
        }
    }

    void unlisten(SctpServerSocket s) {
        listeners.remove(s.port(), s);
    }

    private boolean owns(int port) {
        return listeners.containsKey(port) || connectPorts.containsKey(port);
    }

    /** Entry point of every packet from the transport: steered to its owner shard, or processed here. */
    void onPacket(byte[] b, int off, int len, SocketAddress from) {
        if (group != null && len >= SctpCodec.COMMON_HEADER && !closed) {
            int owner = owner(b, off, len, from.ip());
            if (owner != shardId) {
                if (transport.seesEveryPacket()) {
                    notOwned++;
                } else if (group.handOff(owner, b, off, len, from)) {
                    handedOff++;
                } else {
                    malformed++;
                }
                return;
            }
        }
        process(b, off, len, from, null);
    }

    /** A packet another shard received for an association this shard owns; takes {@code packet}. */
    void onSteered(Buffer packet, SocketAddress from) {
        try {
            takenOver++;
            int len = packet.length();
            MemorySegment.copy(packet.segment(), ValueLayout.JAVA_BYTE, 0, steered, 0, len);
            process(steered, 0, len, from, packet);
        } catch (RuntimeException e) {
            malformed++; // whatever happens, the sending shard must not see a failure: it would release the buffer
        } finally {
            packet.release();
        }
    }

    /**
     * @return the shard owning the packet: the one its verification tag names when the tag is ours, else the
     * one {@link ShardedSctpStack#ownerOf} names for its ports and source address
     */
    private int owner(byte[] b, int off, int len, InetAddress peer) {
        int tag = SctpCodec.i32(b, off + 4);
        boolean reflected = false;
        if (len >= SctpCodec.COMMON_HEADER + 4) {
            int type = b[off + SctpCodec.COMMON_HEADER] & 0xFF, flags = b[off + SctpCodec.COMMON_HEADER + 1];
            reflected = (type == Chunk.ABORT || type == Chunk.SHUTDOWN_COMPLETE) && (flags & 1) != 0;
        }
        if (tag != 0 && !reflected) {
            return Integer.remainderUnsigned(tag, shardCount);
        }
        int peerPort = SctpCodec.u16(b, off), localPort = SctpCodec.u16(b, off + 2);
        if (!owners.isEmpty()) {
            // A published association: the peer may speak from an address whose hash names another shard.
            Integer o = owners.get(new Key(localPort, peerPort, peer));
            if (o == null && len >= SctpCodec.COMMON_HEADER + 4 && b[off + SctpCodec.COMMON_HEADER] == Chunk.INIT) {
                o = ownerOfListedAddress(b, off, len, localPort, peerPort, peer);
            }
            if (o != null) {
                return o;
            }
        }
        return ShardedSctpStack.ownerOf(peer, peerPort, localPort, shardCount);
    }

    /**
     * @return the owner of a published association having one of the addresses an INIT lists (RFC 9260 5.2: an INIT
     * belongs to an association when its source or any address it lists does), or null. Reads the raw packet
     * (not yet checked: a bad one is dropped by the owner), bounded by the chunk and the packet.
     */
    private Integer ownerOfListedAddress(byte[] b, int off, int len, int localPort, int peerPort, InetAddress peer) {
        int chunk = off + SctpCodec.COMMON_HEADER;
        int end = Math.min(off + len, chunk + SctpCodec.u16(b, chunk + 2));
        int looked = 0;
        for (int at = chunk + 20; at + 4 <= end && looked < 16; ) { // as many as an INIT may give paths
            int type = SctpCodec.u16(b, at), plen = SctpCodec.u16(b, at + 2);
            if (plen < 4 || at + plen > end) {
                return null;
            }
            if (type == Param.IPV4_ADDRESS && plen == 8 || type == Param.IPV6_ADDRESS && plen == 20) {
                looked++;
                InetAddress listed = AddressScope.usable(address(b, at + 4, plen - 4), peer, transport);
                Integer o = listed == null ? null : owners.get(new Key(localPort, peerPort, listed));
                if (o != null) {
                    return o;
                }
            }
            at += (plen + 3) & ~3;
        }
        return null;
    }

    private static InetAddress address(byte[] b, int at, int n) {
        try {
            return InetAddress.getByAddress(java.util.Arrays.copyOfRange(b, at, at + n)); // raw bytes: no lookup
        } catch (java.net.UnknownHostException e) {
            return null; // cannot happen: 4 or 16 bytes
        }
    }

    /** @return the association one of the addresses an INIT lists belongs to (RFC 9260 5.2), or null. */
    private SctpAssociation byListedAddress(Chunk.Init init, int localPort, int peerPort, InetAddress source) {
        for (Param q : init.params()) {
            if (q.type() == Param.IPV4_ADDRESS || q.type() == Param.IPV6_ADDRESS) {
                InetAddress ip = AddressScope.usable(q.toAddress(), source, transport);
                SctpAssociation a = ip == null ? null : associations.get(new Key(localPort, peerPort, ip));
                if (a != null) {
                    return a;
                }
            }
        }
        return null;
    }

    /**
     * Decodes and dispatches one packet. DATA payloads are views of {@code datagram} when given (it holds the same
     * bytes), else of one pool copy of the packet; views an association keeps are its own shares, so the packet's
     * are released here.
     */
    private void process(byte[] b, int off, int len, SocketAddress from, Buffer datagram) {
        if (len >= SctpCodec.COMMON_HEADER && !owns(SctpCodec.u16(b, off + 2))) {
            ignored++; // before decoding: a raw socket sees the whole host's SCTP traffic, copy none of it
            return;
        }
        SctpPacket p;
        try {
            p = SctpCodec.decode(b, off, len, true, datagram, true);
        } catch (RuntimeException e) {
            malformed++; // malformed, bad checksum, or no shard memory for its payload: dropped either way
            return;
        }
        try {
            dispatch(p, from);
        } finally {
            SctpCodec.releasePayloads(p.chunks());
        }
    }

    private void dispatch(SctpPacket p, SocketAddress from) {
        if (p.chunks().isEmpty() || closed) {
            return;
        }
        int lp = p.dstPort(), pp = p.srcPort();
        if (!owns(lp)) {
            ignored++;
            return;
        }
        SctpAssociation a = associations.get(new Key(lp, pp, from.ip()));
        Chunk first = p.chunks().get(0);
        if (first instanceof Chunk.Init init && !init.ack()) {
            onInit(p, init, from, a != null ? a : byListedAddress(init, lp, pp, from.ip()));
            return;
        }
        if (first instanceof Chunk.CookieEcho echo) {
            onCookieEcho(p, echo, from, a);
            return;
        }
        if (a == null) {
            outOfTheBlue(p, from);
            return;
        }
        int expected = a.localTag;
        if (first instanceof Chunk.Abort ab && ab.reflected()
                || first instanceof Chunk.ShutdownComplete sc && sc.reflected()) {
            expected = a.peerTag;
        }
        if (p.verificationTag() != expected) {
            badTag++;
            return;
        }
        a.receive(p, 0, from);
    }

    private void onInit(SctpPacket p, Chunk.Init init, SocketAddress from, SctpAssociation a) {
        if (p.chunks().size() != 1 || p.verificationTag() != 0 || init.initiateTag() == 0) {
            badTag++; // RFC 9260 8.5.1 and 3.3.2: silently discard
            return;
        }
        if (a != null && a.state() == SctpAssociation.State.SHUTDOWN_ACK_SENT) {
            // RFC 9260 9.2: its addresses belong to this association (the source or an address it lists matched),
            // typically because the peer's SHUTDOWN COMPLETE was lost and it opens anew: discard the INIT and
            // retransmit the SHUTDOWN ACK, which the peer answers as out of the blue (8.4), ending ours.
            a.retransmitShutdownAck(from);
            return;
        }
        SctpServerSocket listener = listeners.get(p.dstPort());
        if (a == null && (listener == null || listener.isClosed())) {
            send(from, p.dstPort(), p.srcPort(), init.initiateTag(), List.of(new Chunk.Abort(false, List.of())));
            return;
        }
        if (init.outStreams() == 0 || init.inStreams() == 0) {
            send(from, p.dstPort(), p.srcPort(), init.initiateTag(), List.of(new Chunk.Abort(false,
                    List.of(ErrorCause.of(ErrorCause.INVALID_PARAMETER, "zero stream count")))));
            return;
        }
        InitOptions opt = a != null ? a.options : listener.options;
        List<InetAddress> addresses = new ArrayList<>();
        addresses.add(from.ip());
        List<Param> unrecognised = new ArrayList<>();
        for (Param q : init.params()) {
            switch (q.type()) {
                case Param.IPV4_ADDRESS, Param.IPV6_ADDRESS -> {
                    InetAddress ad = AddressScope.usable(q.toAddress(), from.ip(), transport);
                    if (ad != null && !addresses.contains(ad) && addresses.size() < 16) {
                        addresses.add(ad);
                    }
                }
                case Param.HOST_NAME_ADDRESS -> {
                    send(from, p.dstPort(), p.srcPort(), init.initiateTag(), List.of(new Chunk.Abort(false,
                            List.of(new ErrorCause(ErrorCause.UNRESOLVABLE_ADDRESS, SctpAssociation.encodeParams(List.of(q)))))));
                    return;
                }
                case Param.SUPPORTED_ADDRESS_TYPES, Param.COOKIE_PRESERVATIVE -> { }
                default -> {
                    Param.Action act = q.action();
                    if (act == Param.Action.STOP_AND_REPORT || act == Param.Action.SKIP_AND_REPORT) {
                        unrecognised.add(q);
                    }
                }
            }
            if (q.type() > Param.SUPPORTED_ADDRESS_TYPES && (q.action() == Param.Action.STOP
                    || q.action() == Param.Action.STOP_AND_REPORT)) {
                break;
            }
        }
        if (a != null && a.state() != SctpAssociation.State.COOKIE_WAIT
                && a.state() != SctpAssociation.State.COOKIE_ECHOED) {
            // RFC 9260 5.2.2: a restart may not add addresses to the association; refuse it, naming them.
            List<Param> added = new ArrayList<>();
            for (InetAddress ip : addresses) {
                if (!a.hasPeerAddress(ip)) {
                    added.add(Param.address(ip));
                }
            }
            if (!added.isEmpty()) {
                send(from, p.dstPort(), p.srcPort(), init.initiateTag(), List.of(new Chunk.Abort(false, List.of(
                        new ErrorCause(ErrorCause.RESTART_WITH_NEW_ADDRESSES, SctpAssociation.encodeParams(added))))));
                return;
            }
        }
        int[] t = a != null ? a.onUnexpectedInit() : new int[] {newTag(), random.nextInt(), 0, 0};
        StateCookie c = new StateCookie(System.currentTimeMillis(), (int) opt.cookieLifetime().toMillis(), t[0], t[1],
                opt.outStreams(), opt.maxInStreams(), init.initiateTag(), init.aRwnd(), init.outStreams(),
                init.inStreams(), init.initialTsn(), p.dstPort(), p.srcPort(), t[2], t[3], addresses);
        List<Param> params = new ArrayList<>(1 + unrecognised.size());
        params.add(new Param(Param.STATE_COOKIE, signer.seal(c)));
        int peerFamilies = AddressScope.peerFamilies(init.params(), from.ip());
        for (InetAddress own : transport.localAddresses()) {
            if ((peerFamilies & AddressScope.familyBit(own)) != 0) { // RFC 9260 5.1.2: only types the peer supports
                params.add(Param.address(own));
            }
        }
        for (Param u : unrecognised) {
            params.add(new Param(Param.UNRECOGNIZED_PARAMETER, SctpAssociation.encodeParams(List.of(u))));
        }
        send(from, p.dstPort(), p.srcPort(), init.initiateTag(), List.of(new Chunk.Init(true, t[0],
                opt.receiveBuffer(), opt.outStreams(), opt.maxInStreams(), t[1], params)));
    }

    private void onCookieEcho(SctpPacket p, Chunk.CookieEcho echo, SocketAddress from, SctpAssociation a) {
        StateCookie c = signer.open(echo.cookie());
        if (c == null || c.localTag() != p.verificationTag() || c.localPort() != p.dstPort()
                || c.peerPort() != p.srcPort()) {
            badTag++;
            return;
        }
        long now = System.currentTimeMillis();
        long expiry = c.createdMillis() + c.lifetimeMillis();
        if (now > expiry) {
            send(from, p.dstPort(), p.srcPort(), c.peerTag(), List.of(new Chunk.Error(List.of(
                    ErrorCause.ofInt(ErrorCause.STALE_COOKIE, (int) Math.min(Integer.MAX_VALUE, (now - expiry) * 1000))))));
            return;
        }
        for (int i = 0; a == null && i < c.peerAddresses().size(); i++) {
            // The peer may echo from another of the addresses its INIT gave (and that INIT found this association).
            a = associations.get(new Key(c.localPort(), c.peerPort(), c.peerAddresses().get(i)));
        }
        if (a != null) {
            if (a.onCookieEcho(c, from)) {
                a.receive(p, 1, from);
            }
            return;
        }
        SctpServerSocket listener = listeners.get(p.dstPort());
        if (listener == null || listener.isClosed()) {
            send(from, p.dstPort(), p.srcPort(), c.peerTag(), List.of(new Chunk.Abort(false, List.of())));
            return;
        }
        a = new SctpAssociation(this, listener.options, p.dstPort(), p.srcPort(), from,
                SctpAssociation.State.COOKIE_ECHOED);
        a.establishFromCookie(c, from);
        registerPath(a, from.ip());
        for (InetAddress ip : c.peerAddresses()) {
            registerPath(a, ip);
        }
        publish(a);
        a.acceptCookie();
        if (!listener.offer(a)) {
            a.abort("listener backlog full");
            return;
        }
        a.receive(p, 1, from);
    }

    /** RFC 9260 section 8.4, for a port we own. */
    private void outOfTheBlue(SctpPacket p, SocketAddress from) {
        outOfTheBlue++;
        for (Chunk c : p.chunks()) {
            switch (c) {
                case Chunk.Abort x -> {
                    return;
                }
                case Chunk.ShutdownComplete x -> {
                    return;
                }
                case Chunk.CookieAck x -> {
                    return;
                }
                case Chunk.Error x -> {
                    return;
                }
                case Chunk.ShutdownAck x -> {
                    send(from, p.dstPort(), p.srcPort(), p.verificationTag(), List.of(new Chunk.ShutdownComplete(true)));
                    return;
                }
                default -> { }
            }
        }
        send(from, p.dstPort(), p.srcPort(), p.verificationTag(), List.of(new Chunk.Abort(true, List.of())));
    }
}
