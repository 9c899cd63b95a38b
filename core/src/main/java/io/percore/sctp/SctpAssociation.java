package io.percore.sctp;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Timer;
import io.percore.memory.Buffer;
import io.percore.net.SocketAddress;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One SCTP association (RFC 9260): its state machine, sender (TSNs, retransmission, congestion control), receiver
 * (SACKs, reassembly, per-stream order) and paths (heartbeats, failure detection, fail-over). Messages go out with
 * {@link #send} and come in, whole, with {@link #receive}, together with subscribed notifications.
 *
 * <p>An association lives on the shard of the {@link SctpStack} that made it; every method must be called on
 * that shard's thread. Timers are the shard's {@link Timer}s.
 *
 * <p>Sequence numbers: TSNs are 32-bit on the wire and unwrapped into longs here, so that comparisons are plain
 * ({@link #unwrap}); stream sequence numbers are 16-bit and compared modulo 2^16.
 */
public final class SctpAssociation {
    /** Association states of RFC 9260 section 4 (CLOSED at the end). */
    public enum State {
        /** INIT sent, waiting for INIT-ACK. */
        COOKIE_WAIT,
        /** COOKIE-ECHO sent, waiting for COOKIE-ACK. */
        COOKIE_ECHOED,
        /** Up. */
        ESTABLISHED,
        /** Local shutdown asked; sending what is queued first. */
        SHUTDOWN_PENDING,
        /** SHUTDOWN sent. */
        SHUTDOWN_SENT,
        /** Peer's SHUTDOWN received; sending what is queued first. */
        SHUTDOWN_RECEIVED,
        /** SHUTDOWN-ACK sent. */
        SHUTDOWN_ACK_SENT,
        /** Gone. */
        CLOSED
    }

    private static final int SCTP_HEADER = SctpCodec.COMMON_HEADER;

    final SctpStack stack;
    final InitOptions options;
    final int localPort;
    final int peerPort;
    private State state;
    int localTag;
    int peerTag;
    private int outStreams;
    private int inStreams;
    private Set<SctpNotification.Kind> events;
    /** Opened by {@code connect} on this stack (its owner table entries are kept even when single-homed). */
    boolean openedHere;
    /** The peer addresses this association has in its group's owner table (see {@link SctpStack}). */
    List<InetAddress> published = List.of();

    // ---- paths ----
    private final List<Path> paths = new ArrayList<>(2);
    private Path primary;
    private int assocErrors;

    // ---- sender ----
    private long localInitialTsn;
    private long nextTsn;
    private long cumAcked;
    private int[] outSsn;
    private final ArrayDeque<OutChunk> pending = new ArrayDeque<>();
    private final ArrayDeque<OutChunk> inflight = new ArrayDeque<>();
    private int flight;
    private int peerRwnd;
    private int cwnd;
    private int ssthresh;
    private int partialBytesAcked;
    private boolean fastRecovery;
    private long recoveryExit;
    private boolean fastRtxPending;
    private int retransmitCount;
    private long rttTsn = -1;
    private long rttStart;
    private long sendBuffered;
    private final ArrayDeque<PendingSend> sendWaiters = new ArrayDeque<>();
    private final Timer t3;

    // ---- receiver ----
    private long rcvCum;
    private long rcvHighest;
    private final TreeSet<Long> rcvAbove = new TreeSet<>();
    private int[] dups = new int[8];
    private int ndups;
    private final TreeMap<Long, Chunk.Data> fragments = new TreeMap<>();
    private int[] inSsn;
    private HashMap<Integer, SctpReceivedMessage>[] heldOrdered;
    private long held;
    private int packetsSinceSack;
    private boolean sackNow;
    private boolean sackDue;
    private int lastAdvertisedRwnd;
    private final Timer sackTimer;

    // ---- control ----
    private final ArrayDeque<Chunk> control = new ArrayDeque<>();
    private final Timer t1;
    private final Timer t2;
    private int t1Attempts;
    private Chunk t1Chunk;
    private Duration t1Rto;
    private int t2Attempts;
    private Promise<SctpAssociation> connectPromise;
    private Promise<Void> shutdownPromise;

    // ---- application feed ----
    private final ArrayDeque<SctpEvent> feed = new ArrayDeque<>();
    private Promise<SctpEvent> reader;
    private String closeReason;
    /** How many chunks in {@code inflight} are acknowledged by a gap block (not yet by the cumulative TSN). */
    private int gapAckedCount;
    /** Where the last DATA came from: SACKs go back there (RFC 9260 6.4); null before any DATA. */
    private Path sackPath;

    /** A peer transport address and its RTT/RTO and error state. */
    static final class Path {
        final SocketAddress address;
        boolean confirmed;
        boolean active = true;
        int errors;
        long srtt = -1;
        long rttvar;
        long rto;
        boolean hbOutstanding;
        long hbNonce;
        Timer hbTimer;

        Path(SocketAddress address, long rto) {
            this.address = address;
            this.rto = rto;
        }
    }

    /** A DATA chunk to send or awaiting acknowledgement. */
    static final class OutChunk {
        final SctpMessage message;
        final int ssn;
        final boolean begin;
        final boolean end;
        /** A view of the message's payload, released once the chunk is acknowledged or dropped. */
        final Buffer payload;
        long tsn = -1;
        int sends;
        boolean inFlight;
        boolean gapAcked;
        boolean retransmit;
        boolean fastRetransmitted;
        int misses;

        OutChunk(SctpMessage message, int ssn, boolean begin, boolean end, Buffer payload) {
            this.message = message;
            this.ssn = ssn;
            this.begin = begin;
            this.end = end;
            this.payload = payload;
        }

        int size() {
            return (SctpCodec.DATA_HEADER + payload.length() + 3) & ~3;
        }
    }

    private record PendingSend(SctpMessage message, Promise<Void> promise) {
    }

    SctpAssociation(SctpStack stack, InitOptions options, int localPort, int peerPort, SocketAddress peer,
                    State initial) {
        this.stack = stack;
        this.options = options;
        this.localPort = localPort;
        this.peerPort = peerPort;
        this.state = initial;
        this.events = options.events();
        this.primary = new Path(peer, options.rtoInitial().toNanos());
        primary.confirmed = true; // the address we connected to or heard from
        paths.add(primary);
        this.t1 = new Timer(this::onT1);
        this.t2 = new Timer(this::onT2);
        this.t3 = new Timer(this::onT3);
        this.sackTimer = new Timer(this::onSackTimer);
        this.cwnd = initialCwnd();
        this.ssthresh = Integer.MAX_VALUE;
    }

    // =================================================================================================
    // public API
    // =================================================================================================

    /** @return the current state. Owner shard. */
    public State state() {
        return state;
    }

    /** @return negotiated outbound streams (0 before the association is up). Owner shard. */
    public int outboundStreams() {
        return outStreams;
    }

    /** @return negotiated inbound streams (0 before the association is up). Owner shard. */
    public int inboundStreams() {
        return inStreams;
    }

    /** @return the local SCTP port. Any thread. */
    public int localPort() {
        return localPort;
    }

    /** @return the peer's SCTP port. Any thread. */
    public int peerPort() {
        return peerPort;
    }

    /** @return the primary peer transport address. Owner shard. */
    public SocketAddress peerAddress() {
        return primary.address;
    }

    /** @return all known peer transport addresses (multi-homed peers list several). Owner shard. */
    public List<SocketAddress> peerAddresses() {
        List<SocketAddress> out = new ArrayList<>(paths.size());
        for (Path p : paths) {
            out.add(p.address);
        }
        return out;
    }

    /** @return true when {@code ip} is one of the peer's addresses (any port). Owner shard. */
    boolean hasPeerAddress(InetAddress ip) {
        for (Path p : paths) {
            if (p.address.ip().equals(ip)) {
                return true;
            }
        }
        return false;
    }

    /** @return the current retransmission timeout of the primary path. Owner shard. */
    public Duration rto() {
        return Duration.ofNanos(primary.rto);
    }

    /** Changes the notification kinds delivered in the receive feed from now on. Owner shard. */
    public void subscribe(Set<SctpNotification.Kind> kinds) {
        this.events = kinds.isEmpty() ? Set.of() : EnumSet.copyOf(kinds);
    }

    /**
     * Queues one whole message. Its bytes are fragmented to the path MTU (as views of its payload, no copy) and
     * sent as the congestion and receive windows allow. The payload is taken whatever the outcome (see
     * {@link SctpMessage}): released once acknowledged, or when the send fails. Owner shard.
     *
     * @return a future ready once the message is in the send buffer (it waits while the buffer is full);
     * failed with {@link SctpException.InvalidMessage} for a bad stream, an empty or too large payload, or
     * {@link SctpException.Closed} when the association is not (or no longer) accepting data
     */
    public Future<Void> send(SctpMessage message) {
        if (state != State.ESTABLISHED) {
            message.payload().release();
            return Future.failed(new SctpException.Closed("association is " + state
                    + (closeReason != null ? ": " + closeReason : "")));
        }
        if (message.stream() >= outStreams) {
            message.payload().release();
            return Future.failed(new SctpException.InvalidMessage("stream " + message.stream()
                    + " not below the " + outStreams + " negotiated outbound streams"));
        }
        int len = message.payload().length();
        if (len == 0 || len > options.maxMessageSize()) {
            message.payload().release();
            return Future.failed(new SctpException.InvalidMessage("payload of " + len + " bytes (1.."
                    + options.maxMessageSize() + ")"));
        }
        if (sendBuffered > 0 && sendBuffered + len > options.sendBuffer() || !sendWaiters.isEmpty()) {
            Promise<Void> p = new Promise<>();
            sendWaiters.add(new PendingSend(message, p));
            return p.future();
        }
        enqueue(message);
        transmit();
        return Future.done();
    }

    /**
     * @return the next message or notification, in order; fails with {@link SctpException.Closed} once the
     * association has ended and everything received before has been returned. One pending call at a time.
     * Owner shard.
     */
    public Future<SctpEvent> receive() {
        if (reader != null) {
            return Future.failed(new IllegalStateException("a receive is already pending"));
        }
        SctpEvent e = feed.poll();
        if (e != null) {
            consumed(e);
            return Future.ready(e);
        }
        if (state == State.CLOSED) {
            return Future.failed(new SctpException.Closed(closeReason));
        }
        reader = new Promise<>();
        return reader.future();
    }

    /**
     * Starts the graceful SHUTDOWN sequence: queued data is sent and acknowledged first. Owner shard.
     *
     * @return a future ready when SHUTDOWN-COMPLETE is sent or received; failed if the association is lost first
     */
    public Future<Void> shutdown() {
        if (shutdownPromise == null) {
            shutdownPromise = new Promise<>();
        }
        Future<Void> f = shutdownPromise.future();
        switch (state) {
            case CLOSED -> shutdownPromise.trySetValue(null);
            case COOKIE_WAIT, COOKIE_ECHOED -> abortLocally("shut down before it was established");
            case ESTABLISHED -> {
                state = State.SHUTDOWN_PENDING;
                failSendWaiters();
                maybeSendShutdown();
            }
            default -> { } // already shutting down
        }
        return f;
    }

    /**
     * Ends the association at once with an ABORT carrying a User-Initiated Abort cause. Queued and unacknowledged
     * messages are dropped (reported as {@link SctpNotification.SendFailed} when subscribed). Owner shard.
     */
    public void abort(String reason) {
        if (state == State.CLOSED) {
            return;
        }
        sendControlNow(new Chunk.Abort(false, List.of(ErrorCause.of(ErrorCause.USER_INITIATED_ABORT, reason))),
                peerTag);
        terminate("aborted locally: " + reason, null, false);
    }

    @Override
    public String toString() {
        return "SctpAssociation[" + localPort + "->" + primary.address + ":" + peerPort + " " + state + "]";
    }

    // =================================================================================================
    // set-up
    // =================================================================================================

    /** Starts an active open: sends INIT. */
    Future<SctpAssociation> startConnect(int tag, int initialTsn) {
        localTag = tag;
        localInitialTsn = Integer.toUnsignedLong(initialTsn) + (1L << 32);
        connectPromise = new Promise<>();
        List<Param> params = new ArrayList<>();
        for (InetAddress a : stack.transport.localAddresses()) {
            params.add(Param.address(a));
        }
        params.add(AddressScope.supportedTypes(stack.transport));
        t1Chunk = new Chunk.Init(false, localTag, options.receiveBuffer(), options.outStreams(),
                options.maxInStreams(), initialTsn, params);
        t1Attempts = 1;
        t1Rto = options.rtoInitial();
        stack.send(primary.address, localPort, peerPort, 0, List.of(t1Chunk));
        t1.arm(t1Rto);
        return connectPromise.future();
    }

    /** Builds the association from a verified cookie (passive open, or a restart). */
    void establishFromCookie(StateCookie c, SocketAddress from) {
        localTag = c.localTag();
        peerTag = c.peerTag();
        localInitialTsn = Integer.toUnsignedLong(c.localInitialTsn()) + (1L << 32);
        setUpStreamsAndTsns(c.localOutStreams(), c.localMaxInStreams(), c.peerOutStreams(), c.peerMaxInStreams(),
                c.peerInitialTsn(), c.peerRwnd());
        for (InetAddress a : c.peerAddresses()) {
            InetAddress usable = AddressScope.usable(a, from.ip(), stack.transport); // again: restores a scope id
            if (usable != null) {
                addPath(new SocketAddress(usable, from.port()));
            }
        }
    }

    private void setUpStreamsAndTsns(int myOs, int myMis, int peerOs, int peerMis, int peerInitialTsn, int peerAwnd) {
        discardReceived();
        outStreams = Math.min(myOs, peerMis);
        inStreams = Math.min(peerOs, myMis);
        outSsn = new int[outStreams];
        inSsn = new int[inStreams];
        @SuppressWarnings("unchecked")
        HashMap<Integer, SctpReceivedMessage>[] h = new HashMap[inStreams];
        heldOrdered = h;
        nextTsn = localInitialTsn;
        cumAcked = localInitialTsn - 1;
        rcvCum = Integer.toUnsignedLong(peerInitialTsn) + (1L << 32) - 1;
        rcvHighest = rcvCum;
        rcvAbove.clear();
        held = 0;
        ndups = 0;
        peerRwnd = peerAwnd;
        lastAdvertisedRwnd = options.receiveBuffer();
        cwnd = initialCwnd();
        ssthresh = peerAwnd > 0 ? peerAwnd : Integer.MAX_VALUE;
        partialBytesAcked = 0;
        fastRecovery = false;
        flight = 0;
        rttTsn = -1;
    }

    private int initialCwnd() {
        int mtu = options.pathMtu();
        return Math.min(4 * mtu, Math.max(2 * mtu, 4380)); // RFC 9260 section 7.2.1
    }

    private void addPath(SocketAddress a) {
        for (Path p : paths) {
            if (p.address.equals(a)) {
                return;
            }
        }
        Path p = new Path(a, options.rtoInitial().toNanos());
        p.confirmed = false; // learned from INIT: to be confirmed by a heartbeat (RFC 9260 section 5.4)
        paths.add(p);
        stack.registerPath(this, a.ip());
    }

    /** Passive open: the cookie was valid; the COOKIE-ACK goes out with the next packet. */
    void acceptCookie() {
        control.add(new Chunk.CookieAck());
        becomeEstablished();
    }

    /** Association is up: notifications, heartbeats, connect promise. */
    private void becomeEstablished() {
        state = State.ESTABLISHED;
        t1.cancel();
        t1Chunk = null;
        notify(new SctpNotification.AssociationUp(outStreams, inStreams));
        for (Path p : paths) {
            startHeartbeats(p);
        }
        if (connectPromise != null) {
            Promise<SctpAssociation> p = connectPromise;
            connectPromise = null;
            p.trySetValue(this);
        }
    }

    // =================================================================================================
    // packet input (the stack has checked the verification tag)
    // =================================================================================================

    /** Processes one packet's chunks, from index {@code first} on, received from {@code from}. */
    void receive(SctpPacket packet, int first, SocketAddress from) {
        boolean gotData = false;
        boolean immediate = false;
        List<ErrorCause> unrecognised = null;
        List<Chunk> chunks = packet.chunks();
        Path fromPath = pathOf(from);
        for (int i = first; i < chunks.size() && state != State.CLOSED; i++) {
            Chunk c = chunks.get(i);
            switch (c) {
                case Chunk.Data d -> {
                    gotData = true;
                    immediate |= d.immediate();
                    if (!onData(d)) {
                        return;
                    }
                }
                case Chunk.Sack s -> onSack(s, fromPath);
                case Chunk.Heartbeat h when !h.ack() -> stack.send(from, localPort, peerPort, peerTag,
                        List.of(new Chunk.Heartbeat(true, h.info())));
                case Chunk.Heartbeat h -> onHeartbeatAck(h);
                case Chunk.Abort a -> terminate("aborted by the peer", a.causes(), true);
                case Chunk.Init init when init.ack() -> onInitAck(init, from);
                case Chunk.Init init -> { } // handled by the stack (it needs the packet's tag)
                case Chunk.CookieEcho e -> { } // handled by the stack before the rest of the packet
                case Chunk.CookieAck a -> {
                    if (state == State.COOKIE_ECHOED) {
                        becomeEstablished();
                    }
                }
                case Chunk.Shutdown s -> onShutdown(s);
                case Chunk.ShutdownAck s -> onShutdownAck(from);
                case Chunk.ShutdownComplete s -> {
                    if (state == State.SHUTDOWN_ACK_SENT) {
                        completeShutdown();
                    }
                }
                case Chunk.Error e -> onError(e);
                default -> {
                    // Unknown, I-DATA, FORWARD-TSN, AUTH, ASCONF...: none negotiated, so act on the type's high bits.
                    Chunk.Action act = Chunk.action(c.type());
                    if (act == Chunk.Action.STOP_AND_REPORT || act == Chunk.Action.SKIP_AND_REPORT) {
                        if (unrecognised == null) {
                            unrecognised = new ArrayList<>(1);
                        }
                        unrecognised.add(new ErrorCause(ErrorCause.UNRECOGNIZED_CHUNK, SctpCodec.encodeChunk(c)));
                    }
                    if (act == Chunk.Action.STOP || act == Chunk.Action.STOP_AND_REPORT) {
                        i = chunks.size();
                    }
                }
            }
        }
        if (unrecognised != null && state != State.CLOSED) {
            control.add(new Chunk.Error(unrecognised));
        }
        if (gotData && state != State.CLOSED) {
            // RFC 9260 6.4: a SACK goes back to where the DATA came from, unless the address is unconfirmed (it
            // may carry nothing but heartbeats, 5.4) or we found it unreachable (our direction of it is dead).
            sackPath = fromPath.confirmed && fromPath.active ? fromPath : null;
            packetsSinceSack++;
            if (sackNow || immediate || packetsSinceSack >= 2 || state.compareTo(State.SHUTDOWN_PENDING) >= 0) {
                sackDue = true;
            } else if (!sackTimer.isArmed()) {
                sackTimer.arm(options.sackDelay());
            }
            if (state == State.SHUTDOWN_SENT) {
                // RFC 9260 9.2: answer data with SHUTDOWN (and restart T2).
                control.add(new Chunk.Shutdown((int) rcvCum));
                t2.arm(Duration.ofNanos(primary.rto));
            }
        }
        transmit();
    }

    private Path pathOf(SocketAddress from) {
        for (Path p : paths) {
            if (p.address.equals(from)) {
                return p;
            }
        }
        return primary;
    }

    // ---- INIT-ACK (active side) ----

    private void onInitAck(Chunk.Init ack, SocketAddress from) {
        if (state != State.COOKIE_WAIT) {
            return; // RFC 9260 5.2.3: INIT-ACK in any other state is discarded
        }
        if (ack.initiateTag() == 0 || ack.outStreams() == 0 || ack.inStreams() == 0) {
            sendControlNow(new Chunk.Abort(true, List.of(ErrorCause.of(ErrorCause.INVALID_PARAMETER,
                    "INIT-ACK with a zero tag or stream count"))), localTag);
            terminate("peer sent an invalid INIT-ACK", null, true);
            return;
        }
        byte[] cookie = null;
        List<Param> report = new ArrayList<>();
        List<InetAddress> addresses = new ArrayList<>();
        for (Param p : ack.params()) {
            switch (p.type()) {
                case Param.STATE_COOKIE -> cookie = p.value();
                case Param.IPV4_ADDRESS, Param.IPV6_ADDRESS -> {
                    InetAddress a = AddressScope.usable(p.toAddress(), from.ip(), stack.transport);
                    if (a != null) {
                        addresses.add(a);
                    }
                }
                case Param.UNRECOGNIZED_PARAMETER, Param.SUPPORTED_ADDRESS_TYPES, Param.COOKIE_PRESERVATIVE -> { }
                default -> {
                    Param.Action act = p.action();
                    if (act == Param.Action.STOP_AND_REPORT || act == Param.Action.SKIP_AND_REPORT) {
                        report.add(p);
                    }
                }
            }
            if (p.type() != Param.STATE_COOKIE && p.type() >= 0x4000 && (p.action() == Param.Action.STOP
                    || p.action() == Param.Action.STOP_AND_REPORT)) {
                break;
            }
        }
        if (cookie == null) {
            sendControlNow(new Chunk.Abort(false, List.of(ErrorCause.ofInt(ErrorCause.MISSING_PARAMETER, 0x00010007))),
                    ack.initiateTag());
            terminate("INIT-ACK without a state cookie", null, true);
            return;
        }
        peerTag = ack.initiateTag();
        setUpStreamsAndTsns(options.outStreams(), options.maxInStreams(), ack.outStreams(), ack.inStreams(),
                ack.initialTsn(), ack.aRwnd());
        for (InetAddress a : addresses) {
            addPath(new SocketAddress(a, from.port()));
        }
        stack.publish(this);
        state = State.COOKIE_ECHOED;
        t1.cancel();
        List<Chunk> out = new ArrayList<>(2);
        t1Chunk = new Chunk.CookieEcho(cookie);
        out.add(t1Chunk);
        if (!report.isEmpty()) {
            out.add(new Chunk.Error(List.of(new ErrorCause(ErrorCause.UNRECOGNIZED_PARAMETERS, encodeParams(report)))));
        }
        t1Attempts = 1;
        t1Rto = Duration.ofNanos(primary.rto);
        stack.send(primary.address, localPort, peerPort, peerTag, out);
        t1.arm(t1Rto);
    }

    static byte[] encodeParams(List<Param> ps) {
        int n = 0;
        for (Param p : ps) {
            n += p.encodedSize();
        }
        byte[] b = new byte[n];
        int at = 0;
        for (Param p : ps) {
            SctpCodec.put16(b, at, p.type());
            SctpCodec.put16(b, at + 2, 4 + p.value().length);
            System.arraycopy(p.value(), 0, b, at + 4, p.value().length);
            at += p.encodedSize();
        }
        return b;
    }

    private void onT1() {
        if (state != State.COOKIE_WAIT && state != State.COOKIE_ECHOED) {
            return;
        }
        if (t1Attempts >= options.maxInitAttempts()) {
            terminate("no answer to " + (state == State.COOKIE_WAIT ? "INIT" : "COOKIE-ECHO") + " after "
                    + t1Attempts + " attempts", null, true);
            return;
        }
        t1Attempts++;
        Duration doubled = t1Rto.multipliedBy(2);
        t1Rto = doubled.compareTo(options.rtoMax()) > 0 ? options.rtoMax() : doubled;
        stack.send(primary.address, localPort, peerPort, state == State.COOKIE_WAIT ? 0 : peerTag, List.of(t1Chunk));
        t1.arm(t1Rto);
    }

    // ---- collisions and restarts (RFC 9260 section 5.2), driven by the stack ----

    /**
     * An INIT arrived for this association (5.2.1 / 5.2.2).
     *
     * @return the INIT-ACK's tag, initial TSN and tie-tags to put in the cookie: {tag, tsn, tieLocal, tiePeer}
     */
    int[] onUnexpectedInit() {
        return switch (state) {
            case COOKIE_WAIT -> new int[] {localTag, (int) localInitialTsn, 0, 0};
            case COOKIE_ECHOED -> new int[] {localTag, (int) localInitialTsn, localTag, peerTag};
            default -> new int[] {stack.newTag(), stack.random().nextInt(), localTag, peerTag};
        };
    }

    /**
     * The peer restarted (5.2.4 action A): everything of the old incarnation goes (unacknowledged messages reported
     * as failed, undelivered ones dropped, timers, pending control chunks, path state), the association takes the
     * new tags, sequence numbers and streams from the cookie and the peer's addresses from its new INIT (at the
     * encapsulation port it now speaks from), with the address the COOKIE-ECHO came from as primary; the user gets
     * a {@link SctpNotification.Restart}; the COOKIE-ACK goes back to that address.
     */
    private void restart(StateCookie c, SocketAddress from) {
        dropOutstanding();
        t1.cancel();
        t2.cancel();
        t3.cancel();
        sackTimer.cancel();
        control.clear();
        sackNow = sackDue = fastRtxPending = false;
        packetsSinceSack = 0;
        sackPath = null;
        assocErrors = 0;
        List<Path> old = new ArrayList<>(paths);
        for (Path p : old) {
            if (p.hbTimer != null) {
                p.hbTimer.cancel();
            }
        }
        paths.clear();
        primary = new Path(from, options.rtoInitial().toNanos());
        primary.confirmed = true; // the COOKIE-ECHO came from it
        paths.add(primary);
        stack.registerPath(this, from.ip());
        establishFromCookie(c, from); // the other addresses of the new INIT, unconfirmed until heartbeats answer
        for (Path p : old) {
            if (!hasPeerAddress(p.address.ip())) {
                stack.unregisterPath(this, p.address.ip());
            }
        }
        stack.publish(this);
        if (shutdownPromise != null) {
            Promise<Void> p = shutdownPromise;
            shutdownPromise = null;
            p.trySetException(new SctpException.Closed("the peer restarted the association")); // ours ended with it
        }
        state = State.ESTABLISHED;
        for (Path p : paths) {
            startHeartbeats(p);
        }
        notify(new SctpNotification.Restart(outStreams, inStreams));
        sendControlNow(new Chunk.CookieAck(), peerTag);
        releaseSendWaiters();
    }

    /**
     * A valid COOKIE-ECHO arrived for this association (5.2.4).
     *
     * @return true when the packet's remaining chunks are to be processed
     */
    boolean onCookieEcho(StateCookie c, SocketAddress from) {
        boolean myTag = c.localTag() == localTag, theirTag = c.peerTag() == peerTag;
        if (!myTag && !theirTag && c.tieLocal() == localTag && c.tiePeer() == peerTag) {
            // A: the peer restarted.
            if (state == State.SHUTDOWN_ACK_SENT) {
                stack.send(from, localPort, peerPort, c.peerTag(), List.of(new Chunk.ShutdownAck(),
                        new Chunk.Error(List.of(new ErrorCause(ErrorCause.COOKIE_WHILE_SHUTTING_DOWN, new byte[0])))));
                return false;
            }
            restart(c, from);
            return true;
        }
        if (myTag && !theirTag) {
            // B: INIT collision; take the peer's parameters from the cookie.
            peerTag = c.peerTag();
            setUpStreamsAndTsns(c.localOutStreams(), c.localMaxInStreams(), c.peerOutStreams(), c.peerMaxInStreams(),
                    c.peerInitialTsn(), c.peerRwnd());
            control.add(new Chunk.CookieAck());
            if (state == State.COOKIE_WAIT || state == State.COOKIE_ECHOED) {
                becomeEstablished();
            }
            return true;
        }
        if (!myTag && theirTag && c.tieLocal() == 0 && c.tiePeer() == 0) {
            return false; // C: silently discard
        }
        if (myTag && theirTag) {
            // D: a duplicate (our COOKIE-ACK was lost), or the peer's cookie crossed ours.
            if (state == State.COOKIE_ECHOED || state == State.COOKIE_WAIT) {
                becomeEstablished();
            }
            control.add(new Chunk.CookieAck());
            return true;
        }
        return false;
    }

    // =================================================================================================
    // receiver
    // =================================================================================================

    static long unwrap(int tsn, long reference) {
        return reference + (int) (tsn - (int) reference);
    }

    /** @return false when the packet must not be processed further (association aborted) */
    private boolean onData(Chunk.Data d) {
        if (state == State.COOKIE_WAIT || state == State.COOKIE_ECHOED || state == State.CLOSED) {
            return true;
        }
        long t = unwrap(d.tsn(), rcvCum);
        if (t <= rcvCum || rcvAbove.contains(t)) {
            if (ndups == dups.length) {
                dups = java.util.Arrays.copyOf(dups, ndups * 2);
            }
            if (ndups < 64) {
                dups[ndups++] = d.tsn();
            }
            sackNow = true;
            return true;
        }
        if (t - rcvCum > 0xFFFF) {
            return true; // outside any window we could have offered: drop
        }
        int len = d.payload().length();
        if (len == 0) {
            sendControlNow(new Chunk.Abort(false, List.of(ErrorCause.ofInt(ErrorCause.NO_USER_DATA, d.tsn()))), peerTag);
            terminate("peer sent a DATA chunk without user data", null, true);
            return false;
        }
        if (held + len > options.receiveBuffer() && t > rcvHighest) {
            sackNow = true; // no room: drop it and tell the window (RFC 9260 6.2)
            return true;
        }
        // Record the TSN.
        if (t == rcvCum + 1) {
            rcvCum = t;
            while (!rcvAbove.isEmpty() && rcvAbove.first() == rcvCum + 1) {
                rcvCum = rcvAbove.pollFirst();
            }
        } else {
            rcvAbove.add(t);
            sackNow = true; // out of order: SACK at once so that the sender sees the gap
        }
        if (t > rcvHighest) {
            rcvHighest = t;
        }
        if (d.stream() >= inStreams) {
            // RFC 9260 6.5: acknowledge it, drop it, report the stream.
            byte[] info = new byte[4];
            SctpCodec.put16(info, 0, d.stream());
            control.add(new Chunk.Error(List.of(new ErrorCause(ErrorCause.INVALID_STREAM, info))));
            sackNow = true;
            return true;
        }
        // The packet's views are released by the stack after this packet: keep shares of what stays.
        if (d.begin() && d.end()) {
            deliver(new SctpReceivedMessage(d.stream(), d.ssn(), d.ppid(), d.tsn(), d.unordered(),
                    d.payload().share()));
        } else {
            fragments.put(t, new Chunk.Data(d.tsn(), d.stream(), d.ssn(), d.ppid(), d.unordered(), d.begin(),
                    d.end(), false, d.payload().share()));
            held += len;
            reassemble(t);
        }
        return true;
    }

    /** Completes the message fragment {@code t} belongs to, if all its fragments are here. */
    private void reassemble(long t) {
        Chunk.Data d = fragments.get(t);
        long start = t;
        Chunk.Data first = d;
        while (!first.begin()) {
            Chunk.Data prev = fragments.get(start - 1);
            if (prev == null || prev.stream() != d.stream() || prev.unordered() != d.unordered() || prev.end()) {
                return;
            }
            start--;
            first = prev;
        }
        long end = t;
        Chunk.Data last = d;
        while (!last.end()) {
            Chunk.Data next = fragments.get(end + 1);
            if (next == null || next.stream() != d.stream() || next.unordered() != d.unordered() || next.begin()) {
                return;
            }
            end++;
            last = next;
        }
        int size = 0;
        for (long k = start; k <= end; k++) {
            size += fragments.get(k).payload().length();
        }
        Buffer whole = Buffer.allocate(size);
        java.lang.foreign.MemorySegment into = whole.segment();
        long at = 0;
        for (long k = start; k <= end; k++) {
            Buffer p = fragments.remove(k).payload();
            java.lang.foreign.MemorySegment.copy(p.segment(), 0, into, at, p.length());
            at += p.length();
            p.release();
        }
        held -= size;
        deliver(new SctpReceivedMessage(first.stream(), first.ssn(), first.ppid(), first.tsn(), first.unordered(),
                whole));
    }

    /** Delivers a complete message in stream order (unordered ones at once). */
    private void deliver(SctpReceivedMessage m) {
        if (m.unordered()) {
            push(m);
            return;
        }
        int s = m.stream();
        if (m.ssn() == inSsn[s]) {
            push(m);
            inSsn[s] = (inSsn[s] + 1) & 0xFFFF;
            HashMap<Integer, SctpReceivedMessage> h = heldOrdered[s];
            if (h != null) {
                SctpReceivedMessage next;
                while ((next = h.remove(inSsn[s])) != null) {
                    held -= next.payload().length();
                    push(next);
                    inSsn[s] = (inSsn[s] + 1) & 0xFFFF;
                }
            }
        } else if (((m.ssn() - inSsn[s]) & 0xFFFF) < 0x8000) {
            if (heldOrdered[s] == null) {
                heldOrdered[s] = new HashMap<>();
            }
            if (heldOrdered[s].putIfAbsent(m.ssn(), m) == null) {
                held += m.payload().length();
            } else {
                m.release();
            }
        } else {
            m.release(); // an SSN already delivered arriving under a new TSN: a peer bug; drop it
        }
    }

    /** Releases what was received but not delivered: fragments and messages waiting for their turn. */
    private void discardReceived() {
        for (Chunk.Data d : fragments.values()) {
            d.payload().release();
        }
        fragments.clear();
        if (heldOrdered != null) {
            for (HashMap<Integer, SctpReceivedMessage> h : heldOrdered) {
                if (h != null) {
                    for (SctpReceivedMessage m : h.values()) {
                        m.release();
                    }
                    h.clear();
                }
            }
        }
    }

    private void push(SctpEvent e) {
        if (e instanceof SctpReceivedMessage m) {
            held += m.payload().length(); // held until the application takes it
        }
        if (reader != null) {
            Promise<SctpEvent> r = reader;
            reader = null;
            consumed(e);
            r.setValue(e);
        } else {
            feed.add(e);
        }
    }

    /** The application took {@code e}: its bytes no longer count against our window. */
    private void consumed(SctpEvent e) {
        if (e instanceof SctpReceivedMessage m) {
            held -= m.payload().length();
            int now = advertisedRwnd();
            // Tell a sender that saw a closing window that it opened again (RFC 9260 6.2 window update).
            if (state != State.CLOSED && now - lastAdvertisedRwnd >= Math.min(options.receiveBuffer() / 2,
                    4 * options.pathMtu())) {
                sackDue = true;
                transmitLater();
            }
        }
    }

    private boolean transmitScheduled;

    private void transmitLater() {
        if (!transmitScheduled) {
            transmitScheduled = true;
            io.percore.core.Reactor.current().schedule(() -> {
                transmitScheduled = false;
                if (state != State.CLOSED) {
                    transmit();
                }
            });
        }
    }

    private int advertisedRwnd() {
        return (int) Math.max(0, options.receiveBuffer() - held);
    }

    private void notify(SctpNotification n) {
        if (events.contains(n.kind())) {
            push(n);
        }
    }

    private Chunk.Sack buildSack() {
        int maxBlocks = Math.min(128, (options.pathMtu() - 100) / 4);
        int[] gaps = new int[Math.min(2 * rcvAbove.size(), 2 * maxBlocks)];
        int n = 0;
        long runStart = -1, runEnd = -1;
        for (long t : rcvAbove) {
            if (runStart >= 0 && t == runEnd + 1) {
                runEnd = t;
                continue;
            }
            if (runStart >= 0) {
                if (n == gaps.length) {
                    break;
                }
                gaps[n++] = (int) (runStart - rcvCum);
                gaps[n++] = (int) (runEnd - rcvCum);
            }
            runStart = runEnd = t;
        }
        if (runStart >= 0 && n < gaps.length) {
            gaps[n++] = (int) (runStart - rcvCum);
            gaps[n++] = (int) (runEnd - rcvCum);
        }
        int[] d = java.util.Arrays.copyOf(dups, ndups);
        ndups = 0;
        lastAdvertisedRwnd = advertisedRwnd();
        packetsSinceSack = 0;
        sackNow = false;
        sackDue = false;
        sackTimer.cancel();
        return new Chunk.Sack((int) rcvCum, lastAdvertisedRwnd, java.util.Arrays.copyOf(gaps, n), d);
    }

    private void onSackTimer() {
        if (state != State.CLOSED) {
            sackDue = true;
            transmit();
        }
    }

    // =================================================================================================
    // sender
    // =================================================================================================

    private int maxDataPayload() {
        int overhead = stack.transport.overhead(primary.address);
        return (options.pathMtu() - overhead - SCTP_HEADER - SctpCodec.DATA_HEADER) & ~3;
    }

    /** Splits the message into chunk views of its payload; the message keeps its own reference until acked. */
    private void enqueue(SctpMessage m) {
        Buffer p = m.payload();
        int len = p.length();
        int max = maxDataPayload();
        int ssn = m.unordered() ? 0 : outSsn[m.stream()];
        if (!m.unordered()) {
            outSsn[m.stream()] = (ssn + 1) & 0xFFFF;
        }
        if (len <= max) {
            pending.add(new OutChunk(m, ssn, true, true, p.share()));
        } else {
            for (int off = 0; off < len; off += max) {
                int n = Math.min(max, len - off);
                pending.add(new OutChunk(m, ssn, off == 0, off + n == len, p.share(off, n)));
            }
        }
        sendBuffered += len;
    }

    private Path dataPath() {
        if (primary.active) {
            return primary;
        }
        for (Path p : paths) {
            if (p.active) {
                return p;
            }
        }
        return primary;
    }

    private boolean canSendData() {
        return state == State.ESTABLISHED || state == State.SHUTDOWN_PENDING || state == State.SHUTDOWN_RECEIVED;
    }

    /** Sends what the windows allow: control chunks, SACK, retransmissions, new data, bundled per packet. */
    void transmit() {
        if (state == State.CLOSED) {
            return;
        }
        Path path = dataPath();
        int budget = options.pathMtu() - stack.transport.overhead(path.address) - SCTP_HEADER;
        boolean dataAllowed = canSendData() || state == State.SHUTDOWN_SENT && !inflight.isEmpty();
        for (;;) {
            List<Chunk> out = new ArrayList<>(4);
            int room = budget;
            while (!control.isEmpty() && SctpCodec.encodedSize(control.peek()) <= room) {
                Chunk c = control.poll();
                room -= SctpCodec.encodedSize(c);
                out.add(c);
            }
            // A delayed SACK rides along with outgoing data rather than waiting for its timer.
            boolean piggyback = sackTimer.isArmed() && dataAllowed && (!pending.isEmpty() || retransmitCount > 0);
            if ((sackDue || sackNow || piggyback) && state != State.COOKIE_WAIT && state != State.COOKIE_ECHOED && inStreams > 0) {
                Chunk.Sack s = buildSack();
                int sz = SctpCodec.encodedSize(s);
                if (sackPath != null && sackPath != path) {
                    // The data came in over another path than ours goes out on: the SACK alone goes back there.
                    stack.send(sackPath.address, localPort, peerPort, peerTag, List.of(s));
                } else if (sz <= room) {
                    out.add(s);
                    room -= sz;
                } else {
                    control.addFirst(s);
                }
            }
            boolean sentData = false;
            if (dataAllowed) {
                // Retransmissions first, in TSN order. A fast retransmit's first packet ignores cwnd (7.2.4).
                boolean ignoreCwnd = fastRtxPending;
                fastRtxPending = false;
                boolean rtxBlocked = false;
                if (retransmitCount > 0) {
                    for (OutChunk c : inflight) {
                        if (!c.retransmit) {
                            continue;
                        }
                        if (c.size() > room || (!ignoreCwnd && flight >= cwnd)) {
                            rtxBlocked = true;
                            break;
                        }
                        room -= c.size();
                        out.add(dataChunk(c));
                        markSent(c);
                        sentData = true;
                    }
                }
                // New data while cwnd and the peer's window allow (one chunk probes a zero window, 6.1 rule A).
                while (!rtxBlocked && retransmitCount == 0 && !pending.isEmpty()) {
                    OutChunk c = pending.peek();
                    if (c.size() > room || flight >= cwnd || (c.size() > peerRwnd && flight > 0)) {
                        break;
                    }
                    pending.poll();
                    c.tsn = nextTsn++;
                    inflight.add(c);
                    room -= c.size();
                    out.add(dataChunk(c));
                    markSent(c);
                    sentData = true;
                }
            }
            if (out.isEmpty()) {
                break;
            }
            stack.send(path.address, localPort, peerPort, peerTag, out);
            if (sentData && !t3.isArmed()) {
                t3.arm(Duration.ofNanos(path.rto));
            }
        }
    }

    private void setRetransmit(OutChunk c, boolean on) {
        if (c.retransmit != on) {
            c.retransmit = on;
            retransmitCount += on ? 1 : -1;
        }
    }

    private Chunk.Data dataChunk(OutChunk c) {
        return new Chunk.Data((int) c.tsn, c.message.stream(), c.ssn, c.message.ppid(), c.message.unordered(),
                c.begin, c.end, false, c.payload);
    }

    private void markSent(OutChunk c) {
        c.sends++;
        setRetransmit(c, false);
        c.misses = 0;
        c.inFlight = true;
        flight += c.size();
        peerRwnd = Math.max(0, peerRwnd - c.size());
        if (c.sends == 1 && rttTsn < 0) {
            rttTsn = c.tsn;
            rttStart = System.nanoTime();
        } else if (c.sends > 1 && rttTsn == c.tsn) {
            rttTsn = -1; // Karn: never time a retransmitted chunk
        }
    }

    private void onSack(Chunk.Sack s, Path from) {
        if (state == State.COOKIE_WAIT || state == State.COOKIE_ECHOED) {
            return;
        }
        long cum = unwrap(s.cumTsnAck(), cumAcked);
        if (cum < cumAcked || cum >= nextTsn) {
            return; // stale, or acknowledges what we never sent: ignore
        }
        assocErrors = 0;
        Path dp = dataPath();
        dp.errors = 0;
        int flightBefore = flight;
        long bytesAcked = 0;
        boolean cumAdvanced = cum > cumAcked;
        while (!inflight.isEmpty() && inflight.peek().tsn <= cum) {
            OutChunk c = inflight.poll();
            setRetransmit(c, false);
            if (c.inFlight) {
                flight -= c.size();
            }
            if (!c.gapAcked) {
                bytesAcked += c.size();
            } else {
                gapAckedCount--;
            }
            sendBuffered -= c.payload.length();
            c.payload.release();
            if (c.end) {
                c.message.payload().release(); // every chunk of the message is acknowledged
            }
            if (c.tsn == rttTsn) {
                if (c.sends == 1) {
                    rttSample(dp, System.nanoTime() - rttStart);
                }
                rttTsn = -1;
            }
        }
        if (rttTsn >= 0 && rttTsn <= cum) {
            rttTsn = -1;
        }
        cumAcked = cum;
        // Gap ack blocks.
        long htna = -1;
        int[] g = s.gaps();
        // Without gap blocks nothing is newly gap-acknowledged; only earlier gap acks can be reneged. Skipping the
        // walk then keeps a SACK's cost independent of how much is in flight (it dominated bulk transfers).
        if (g.length > 0 || gapAckedCount > 0) {
            for (OutChunk c : inflight) {
                long off = c.tsn - cum;
                boolean in = false;
                for (int k = 0; k + 1 < g.length; k += 2) {
                    if (off >= g[k] && off <= g[k + 1]) {
                        in = true;
                        break;
                    }
                }
                if (in && !c.gapAcked) {
                    c.gapAcked = true;
                    gapAckedCount++;
                    setRetransmit(c, false);
                    if (c.inFlight) {
                        flight -= c.size();
                        c.inFlight = false;
                    }
                    bytesAcked += c.size();
                    htna = c.tsn;
                } else if (!in && c.gapAcked) {
                    c.gapAcked = false; // reneged: the T3 timer will resend it
                    gapAckedCount--;
                }
            }
        }
        // Fast retransmit: a chunk below the highest newly acknowledged TSN missing from 3 SACKs (7.2.4).
        if (htna >= 0) {
            boolean newlyMarked = false;
            for (OutChunk c : inflight) {
                if (c.tsn >= htna) {
                    break;
                }
                if (!c.gapAcked && c.inFlight && !c.fastRetransmitted && ++c.misses >= 3) {
                    c.fastRetransmitted = true;
                    setRetransmit(c, true);
                    c.inFlight = false;
                    flight -= c.size();
                    newlyMarked = true;
                }
            }
            if (newlyMarked) {
                if (!fastRecovery) {
                    int mtu = options.pathMtu();
                    ssthresh = Math.max(cwnd / 2, 4 * mtu);
                    cwnd = ssthresh;
                    partialBytesAcked = 0;
                    fastRecovery = true;
                    recoveryExit = nextTsn - 1;
                }
                fastRtxPending = true;
            }
        }
        // Congestion window (7.2.1, 7.2.2).
        if (cumAdvanced) {
            if (fastRecovery && cum >= recoveryExit) {
                fastRecovery = false;
            }
            if (!fastRecovery) {
                int mtu = options.pathMtu();
                if (cwnd <= ssthresh) {
                    if (flightBefore >= cwnd) {
                        cwnd += (int) Math.min(bytesAcked, mtu);
                    }
                } else {
                    partialBytesAcked += (int) bytesAcked;
                    if (partialBytesAcked >= cwnd && flightBefore >= cwnd) {
                        partialBytesAcked -= cwnd;
                        cwnd += mtu;
                    }
                }
            }
            if (inflight.isEmpty()) {
                t3.cancel();
            } else {
                t3.arm(Duration.ofNanos(dp.rto));
            }
        }
        if (flight == 0) {
            partialBytesAcked = 0;
        }
        peerRwnd = Math.max(0, s.aRwnd() - flight);
        releaseSendWaiters();
        if (state == State.SHUTDOWN_PENDING || state == State.SHUTDOWN_RECEIVED) {
            maybeSendShutdown();
        }
    }

    private void rttSample(Path p, long r) {
        if (p.srtt < 0) {
            p.srtt = r;
            p.rttvar = r / 2;
        } else {
            p.rttvar = p.rttvar - (p.rttvar >> 2) + (Math.abs(p.srtt - r) >> 2);
            p.srtt = p.srtt - (p.srtt >> 3) + (r >> 3);
        }
        p.rto = clampRto(p.srtt + 4 * p.rttvar);
    }

    private long clampRto(long rto) {
        return Math.max(options.rtoMin().toNanos(), Math.min(options.rtoMax().toNanos(), rto));
    }

    private void releaseSendWaiters() {
        while (!sendWaiters.isEmpty() && state == State.ESTABLISHED) {
            PendingSend w = sendWaiters.peek();
            if (sendBuffered > 0 && sendBuffered + w.message.payload().length() > options.sendBuffer()) {
                break;
            }
            sendWaiters.poll();
            if (w.message.stream() >= outStreams) {
                w.message.payload().release();
                w.promise.setException(new SctpException.InvalidMessage("stream " + w.message.stream()
                        + " not below " + outStreams));
                continue;
            }
            enqueue(w.message);
            w.promise.setValue(null);
        }
    }

    private void failSendWaiters() {
        while (!sendWaiters.isEmpty()) {
            PendingSend w = sendWaiters.poll();
            w.message.payload().release();
            w.promise.setException(new SctpException.Closed("association is shutting down"));
        }
    }

    private void onT3() {
        if (state == State.CLOSED || inflight.isEmpty()) {
            return;
        }
        Path p = dataPath();
        if (countError(p)) {
            return;
        }
        p.rto = Math.min(p.rto * 2, options.rtoMax().toNanos());
        int mtu = options.pathMtu();
        ssthresh = Math.max(cwnd / 2, 4 * mtu);
        cwnd = mtu;
        partialBytesAcked = 0;
        fastRecovery = false;
        rttTsn = -1;
        for (OutChunk c : inflight) {
            if (!c.gapAcked) {
                setRetransmit(c, true);
                if (c.inFlight) {
                    c.inFlight = false;
                    flight -= c.size();
                }
            }
        }
        transmit();
        if (!t3.isArmed()) {
            t3.arm(Duration.ofNanos(dataPath().rto));
        }
    }

    /**
     * Counts a timeout against a path and the association.
     *
     * @return true when the association is now lost
     */
    private boolean countError(Path p) {
        assocErrors++;
        p.errors++;
        if (assocErrors > options.assocMaxRetrans()) {
            terminate("peer unreachable: " + assocErrors + " consecutive timeouts", null, true);
            return true;
        }
        if (p.active && p.errors > options.pathMaxRetrans()) {
            p.active = false;
            notify(new SctpNotification.PeerAddressChange(p.address, SctpNotification.AddressState.UNREACHABLE));
        }
        return false;
    }

    // =================================================================================================
    // heartbeats
    // =================================================================================================

    private void startHeartbeats(Path p) {
        if (p.hbTimer == null) {
            p.hbTimer = new Timer(() -> onHeartbeatTimer(p));
        }
        // Unconfirmed addresses are probed at once (RFC 9260 5.4); confirmed ones after an idle interval.
        p.hbTimer.arm(p.confirmed ? heartbeatDelay(p) : Duration.ofNanos(p.rto / 4));
    }

    private Duration heartbeatDelay(Path p) {
        long jitter = (long) (p.rto * (stack.random().nextDouble() - 0.5));
        return options.heartbeatInterval().plusNanos(p.rto + jitter);
    }

    private void onHeartbeatTimer(Path p) {
        if (state == State.CLOSED || state == State.COOKIE_WAIT || state == State.COOKIE_ECHOED) {
            return;
        }
        if (p.hbOutstanding) {
            if (countError(p)) {
                return;
            }
            p.rto = Math.min(p.rto * 2, options.rtoMax().toNanos());
        }
        p.hbOutstanding = true;
        p.hbNonce = stack.random().nextLong();
        byte[] info = new byte[17];
        info[0] = (byte) paths.indexOf(p);
        long now = System.nanoTime();
        for (int i = 0; i < 8; i++) {
            info[1 + i] = (byte) (now >>> (56 - 8 * i));
            info[9 + i] = (byte) (p.hbNonce >>> (56 - 8 * i));
        }
        stack.send(p.address, localPort, peerPort, peerTag, List.of(new Chunk.Heartbeat(false, info)));
        p.hbTimer.arm(p.confirmed ? heartbeatDelay(p) : Duration.ofNanos(p.rto));
    }

    private void onHeartbeatAck(Chunk.Heartbeat h) {
        byte[] info = h.info();
        if (info.length != 17 || (info[0] & 0xFF) >= paths.size()) {
            return;
        }
        Path p = paths.get(info[0] & 0xFF);
        long sent = 0, nonce = 0;
        for (int i = 0; i < 8; i++) {
            sent = sent << 8 | (info[1 + i] & 0xFF);
            nonce = nonce << 8 | (info[9 + i] & 0xFF);
        }
        if (!p.hbOutstanding || nonce != p.hbNonce) {
            return;
        }
        p.hbOutstanding = false;
        rttSample(p, System.nanoTime() - sent);
        p.errors = 0;
        assocErrors = 0;
        if (!p.confirmed) {
            p.confirmed = true;
            notify(new SctpNotification.PeerAddressChange(p.address, SctpNotification.AddressState.CONFIRMED));
            p.hbTimer.arm(heartbeatDelay(p));
        }
        if (!p.active) {
            p.active = true;
            notify(new SctpNotification.PeerAddressChange(p.address, SctpNotification.AddressState.AVAILABLE));
        }
    }

    // =================================================================================================
    // shutdown and termination
    // =================================================================================================

    private void maybeSendShutdown() {
        if (!pending.isEmpty() || !inflight.isEmpty()) {
            return;
        }
        if (state == State.SHUTDOWN_PENDING) {
            state = State.SHUTDOWN_SENT;
            t2Attempts = 0;
            sendControlNow(new Chunk.Shutdown((int) rcvCum), peerTag);
            t2.arm(Duration.ofNanos(primary.rto));
        } else if (state == State.SHUTDOWN_RECEIVED) {
            state = State.SHUTDOWN_ACK_SENT;
            t2Attempts = 0;
            sendControlNow(new Chunk.ShutdownAck(), peerTag);
            t2.arm(Duration.ofNanos(primary.rto));
        }
    }

    private void onShutdown(Chunk.Shutdown s) {
        // Its cumulative TSN ack acts as a SACK without gaps (RFC 9260 9.2).
        long cum = unwrap(s.cumTsnAck(), cumAcked);
        if (cum >= cumAcked && cum < nextTsn) {
            onSack(new Chunk.Sack(s.cumTsnAck(), peerRwnd + flight, new int[0], new int[0]), dataPath());
        }
        switch (state) {
            case ESTABLISHED, SHUTDOWN_PENDING -> {
                state = State.SHUTDOWN_RECEIVED;
                failSendWaiters();
                maybeSendShutdown();
            }
            case SHUTDOWN_SENT -> {
                // Both sides shut down at once: answer with SHUTDOWN-ACK (9.2).
                state = State.SHUTDOWN_ACK_SENT;
                sendControlNow(new Chunk.ShutdownAck(), peerTag);
                t2.arm(Duration.ofNanos(primary.rto));
            }
            default -> { }
        }
    }

    private void onShutdownAck(SocketAddress from) {
        if (state == State.SHUTDOWN_SENT || state == State.SHUTDOWN_ACK_SENT) {
            sendControlNow(new Chunk.ShutdownComplete(false), peerTag);
            completeShutdown();
        }
    }

    /**
     * RFC 9260 9.2: an INIT for this association arrived in SHUTDOWN-ACK-SENT. The INIT is discarded (the stack does
     * not answer it) and the SHUTDOWN ACK goes out again, to where the INIT came from (6.4: replies go to the
     * source). T2 keeps its schedule, so a peer sending INITs cannot hold the association open past its limit.
     */
    void retransmitShutdownAck(SocketAddress from) {
        stack.send(from, localPort, peerPort, peerTag, List.of(new Chunk.ShutdownAck()));
    }

    private void onT2() {
        if (state != State.SHUTDOWN_SENT && state != State.SHUTDOWN_ACK_SENT) {
            return;
        }
        if (++t2Attempts > options.assocMaxRetrans()) {
            sendControlNow(new Chunk.Abort(false, List.of()), peerTag);
            terminate("no answer to " + (state == State.SHUTDOWN_SENT ? "SHUTDOWN" : "SHUTDOWN-ACK"), null, true);
            return;
        }
        primary.rto = Math.min(primary.rto * 2, options.rtoMax().toNanos());
        sendControlNow(state == State.SHUTDOWN_SENT ? new Chunk.Shutdown((int) rcvCum) : new Chunk.ShutdownAck(),
                peerTag);
        t2.arm(Duration.ofNanos(primary.rto));
    }

    private void completeShutdown() {
        notify(new SctpNotification.ShutdownComplete());
        terminate("shut down", null, false);
        if (shutdownPromise != null) {
            shutdownPromise.trySetValue(null);
        }
    }

    private void onError(Chunk.Error e) {
        for (ErrorCause c : e.causes()) {
            if (c.code() == ErrorCause.STALE_COOKIE && state == State.COOKIE_ECHOED) {
                // Start over with a fresh INIT (RFC 9260 5.2.6 allows a Cookie Preservative; a new INIT is simpler).
                state = State.COOKIE_WAIT;
                t1Chunk = new Chunk.Init(false, localTag, options.receiveBuffer(), options.outStreams(),
                        options.maxInStreams(), (int) localInitialTsn, List.of());
                stack.send(primary.address, localPort, peerPort, 0, List.of(t1Chunk));
                t1.arm(t1Rto);
            }
        }
    }

    private void abortLocally(String reason) {
        sendControlNow(new Chunk.Abort(false, List.of(ErrorCause.of(ErrorCause.USER_INITIATED_ABORT, reason))), peerTag);
        terminate(reason, null, false);
    }

    private void sendControlNow(Chunk c, int tag) {
        if (state != State.CLOSED) {
            // The primary unless it failed: a SHUTDOWN-ACK or ABORT must reach a peer that fails over (RFC 9260 6.4).
            stack.send(dataPath().address, localPort, peerPort, tag, List.of(c));
        }
    }

    /** Ends the association: timers off, waiters failed, feed closed, stack forgets it. */
    void terminate(String reason, List<ErrorCause> causes, boolean lost) {
        if (state == State.CLOSED) {
            return;
        }
        boolean wasUp = state != State.COOKIE_WAIT && state != State.COOKIE_ECHOED;
        state = State.CLOSED;
        closeReason = reason;
        t1.cancel();
        t2.cancel();
        t3.cancel();
        sackTimer.cancel();
        for (Path p : paths) {
            if (p.hbTimer != null) {
                p.hbTimer.cancel();
            }
        }
        if (lost && wasUp) {
            notify(new SctpNotification.AssociationLost(reason, causes == null ? List.of() : causes));
        }
        dropOutstanding();
        SctpException.Closed closed = new SctpException.Closed(reason);
        while (!sendWaiters.isEmpty()) {
            PendingSend w = sendWaiters.poll();
            w.message.payload().release();
            w.promise.setException(closed);
        }
        if (connectPromise != null) {
            connectPromise.trySetException(new SctpException.ConnectFailed(reason));
            connectPromise = null;
        }
        if (shutdownPromise != null && lost) {
            shutdownPromise.trySetException(closed);
        }
        if (reader != null && feed.isEmpty()) {
            Promise<SctpEvent> r = reader;
            reader = null;
            r.setException(closed);
        }
        discardReceived();
        stack.forget(this);
    }

    /**
     * Drops every unacknowledged message: chunk views released, each message handed to the application in a
     * SendFailed notification when subscribed, else released.
     */
    private void dropOutstanding() {
        SctpMessage last = null;
        for (OutChunk c : inflight) {
            c.payload.release();
            if (c.message != last) {
                last = c.message;
                failed(c.message, true);
            }
        }
        for (OutChunk c : pending) {
            c.payload.release();
            if (c.message != last) {
                last = c.message;
                failed(c.message, false);
            }
        }
        inflight.clear();
        gapAckedCount = 0;
        pending.clear();
        retransmitCount = 0;
        flight = 0;
        sendBuffered = 0;
    }

    private void failed(SctpMessage m, boolean sent) {
        if (events.contains(SctpNotification.Kind.SEND_FAILED)) {
            push(new SctpNotification.SendFailed(m, sent)); // the application owns the payload now
        } else {
            m.payload().release();
        }
    }

    // ---- test and diagnostic views (package-private) ----

    int congestionWindow() {
        return cwnd;
    }

    int flightSize() {
        return flight;
    }

    List<Path> paths() {
        return paths;
    }
}
