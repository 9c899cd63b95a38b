package io.percore.net.stack;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Timer;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.ConnectedSocket;
import io.percore.net.InputStream;
import io.percore.net.NetException;
import io.percore.net.OutputStream;
import io.percore.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One TCP connection (RFC 9293) on its owning shard, and the {@link ConnectedSocket} the application holds.
 *
 * <p>Sequence numbers are kept as 64-bit values internally (a 32-bit field is widened relative to the current
 * edge), so comparisons are plain. Send data stays in {@code sendQueue} as the application's buffers until it is
 * acknowledged; segments and retransmissions are views of them. Received in-order payload is queued as views of the
 * received frames (zero copy); out-of-order payload waits in {@code ooo}, reported to the peer with SACK blocks.
 *
 * <p>Loss recovery: RTO per RFC 6298 (Karn; RTT from timestamps when the peer offers them), fast retransmit after
 * three duplicate ACKs, then SACK-based recovery (RFC 6675: retransmit holes below the highest SACKed byte while the
 * pipe estimate is below cwnd) or NewReno partial-ACK recovery (RFC 6582) without SACK.
 */
final class TcpConnection implements ConnectedSocket {
    enum State { SYN_SENT, SYN_RECEIVED, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSING, TIME_WAIT, CLOSE_WAIT, LAST_ACK, CLOSED }

    private static final long MIN_RTO = 200_000, MAX_RTO = 60_000_000, INITIAL_RTO = 1_000_000; // microseconds
    private static final int SYN_RETRIES = 6, DATA_RETRIES = 15;
    private static final int OUR_WSCALE_MAX = 14;

    final Tcp tcp;
    final NativeStack stack;
    final Tcp.FlowKey key;
    State state;
    Tcp.Listener listener;
    private final SocketAddress localAddr, remoteAddr;

    // send side
    private long iss, sndUna, sndNxt, sndMax, sndWnd, sndWl1, sndWl2;
    private int sndWscale;
    private int mss = 536;
    private int peerMss = 536;
    private final ArrayDeque<Buffer> sendQueue = new ArrayDeque<>();
    private long queueSeq;
    private long queued;
    private boolean finQueued;
    private final ArrayDeque<Promise<Void>> writeWaiters = new ArrayDeque<>();
    private final ArrayDeque<long[]> flushTargets = new ArrayDeque<>();
    private final ArrayDeque<Promise<Void>> flushWaiters = new ArrayDeque<>();
    private boolean noDelay = true;

    // receive side
    private long irs, rcvNxt, rcvAdvEdge;
    private int rcvWscale;
    private int rcvBuf;
    private final ArrayDeque<Buffer> rcvQueue = new ArrayDeque<>();
    private long rcvQueued;
    private final TreeMap<Long, Buffer> ooo = new TreeMap<>();
    private long oooBytes;
    private boolean finReceived, inputClosed;
    private Promise<Buffer> readWaiter;
    private int unackedSegments;
    private long unackedBytes;

    // options
    private boolean sackOk, tsOk;
    private int tsRecent;

    // timing and recovery
    private final Timer rtoTimer = new Timer(this::onRto);
    private final Timer ackTimer = new Timer(this::sendAck);
    private Timer keepTimer;
    private long srtt = -1, rttvar, rto = INITIAL_RTO;
    private int retries;
    private long rttSeq = -1, rttStartNanos;
    private final CongestionControl cc;
    private int dupAcks;
    private boolean recovery;
    private long recoverSeq, highRxt;
    private final TreeMap<Long, Long> sacked = new TreeMap<>();
    private long sackedBytes, highSacked;
    private boolean persisting;

    // application
    private Promise<ConnectedSocket> connectPromise;
    private NetException error;
    private boolean appClosed;
    private KeepAlive keepAlive;
    private long lastReceiveNanos = System.nanoTime();
    private int keepProbes;
    private final Input input = new Input();
    private final Output output = new Output();

    TcpConnection(Tcp tcp, Tcp.FlowKey key, State state) {
        this.tcp = tcp;
        this.stack = tcp.stack;
        this.key = key;
        this.state = state;
        this.localAddr = new SocketAddress(key.local().toInet(), key.localPort());
        this.remoteAddr = new SocketAddress(key.remote().toInet(), key.remotePort());
        int ourMss = ourMss();
        this.rcvBuf = tcp.receiveBuffer(ourMss);
        int ws = 0;
        while (ws < OUR_WSCALE_MAX && (65535L << ws) < stack.config.receiveWindow()) {
            ws++;
        }
        this.rcvWscale = ws;
        this.cc = CongestionControl.create(stack.config.congestionControl(), 536);
        this.iss = ThreadLocalRandom.current().nextInt() & 0xffffffffL;
    }

    private int ourMss() {
        return stack.mtuTo(key.remote()) - NativeStack.ipHeaderLength(key.remote()) - 20;
    }

    private static long widen(long ref, int v) {
        return ref + (int) (v - (int) ref);
    }

    // ------------------------------------------------------------------ opening

    Future<ConnectedSocket> connect() {
        connectPromise = new Promise<>();
        sndUna = iss;
        sndNxt = iss + 1;
        sndMax = sndNxt;
        queueSeq = iss + 1;
        sendSyn(false);
        armRto();
        return connectPromise;
    }

    void passiveOpen(int seq, Tcp.Options o) {
        irs = seq & 0xffffffffL;
        rcvNxt = irs + 1;
        takeSynOptions(o);
        sndUna = iss;
        sndNxt = iss + 1;
        sndMax = sndNxt;
        queueSeq = iss + 1;
        sendSyn(true);
        armRto();
    }

    /** Rebuilds the state a SYN-ACK with a cookie stood for, from the final ACK. */
    void fromCookie(int peerIsn, int cookie, int mssFromCookie, Tcp.Options o) {
        irs = peerIsn & 0xffffffffL;
        rcvNxt = irs + 1;
        iss = cookie & 0xffffffffL;
        sndUna = iss;
        sndNxt = iss + 1;
        sndMax = sndNxt;
        queueSeq = iss + 1;
        peerMss = mssFromCookie;
        if (o.hasTimestamp && (o.tsEcr & 0x20) != 0) {
            tsOk = true;
            tsRecent = o.tsVal;
            int ws = o.tsEcr & 0xf;
            sackOk = (o.tsEcr & 0x10) != 0;
            if (ws != 0xf) {
                sndWscale = ws;
            } else {
                rcvWscale = 0;
            }
        } else {
            rcvWscale = 0;
        }
        setMss();
        rcvAdvEdge = rcvNxt + Math.min(rcvBuf, 65535L << rcvWscale);
    }

    static void sendCookieSynAck(Tcp tcp, Tcp.FlowKey key, int seq, Tcp.Options o) {
        Tcp.Segment g = new Tcp.Segment();
        int cookie = tcp.makeCookie(key, seq, o.mss == 0 ? 536 : o.mss);
        g.seq = cookie;
        g.ack = seq + 1;
        g.flags = Tcp.SYN | Tcp.ACK;
        g.window = 65535;
        g.mss = tcp.stack.mtuTo(key.remote()) - NativeStack.ipHeaderLength(key.remote()) - 20;
        if (o.hasTimestamp) {
            // Without state, the peer's window scale and SACK permission ride in our timestamp, echoed back.
            int ws = 0;
            while (ws < OUR_WSCALE_MAX && (65535L << ws) < tcp.stack.config.receiveWindow()) {
                ws++;
            }
            g.timestamp = true;
            g.tsVal = (tcp.nowMillis() & ~0x3f) | 0x20 | (o.sackPermitted ? 0x10 : 0) | (o.wscale >= 0 ? o.wscale : 0xf);
            g.tsEcr = o.tsVal;
            g.sackPermitted = o.sackPermitted;
            if (o.wscale >= 0) {
                g.wscale = ws;
            }
        }
        tcp.send(key, g, null);
    }

    private void takeSynOptions(Tcp.Options o) {
        peerMss = o.mss == 0 ? 536 : o.mss;
        if (o.wscale >= 0) {
            sndWscale = o.wscale;
        } else {
            rcvWscale = 0;
        }
        sackOk = o.sackPermitted;
        if (o.hasTimestamp) {
            tsOk = true;
            tsRecent = o.tsVal;
        }
        setMss();
    }

    private void setMss() {
        int m = Math.min(peerMss, ourMss()) - (tsOk ? 12 : 0);
        mss = Math.max(64, m);
        cc.setMss(mss);
        if (cc.cwnd() < 10L * mss && sndMax - sndUna <= 1 && cc instanceof CongestionControl.NewReno nr) {
            nr.cwnd = 10L * mss;
        } else if (cc instanceof CongestionControl.Cubic cu && sndMax - sndUna <= 1) {
            cu.cwnd = 10L * mss;
        }
    }

    private void sendSyn(boolean withAck) {
        Tcp.Segment g = new Tcp.Segment();
        g.seq = (int) iss;
        g.ack = (int) rcvNxt;
        g.flags = Tcp.SYN | (withAck ? Tcp.ACK : 0);
        g.window = (int) Math.min(65535, rcvBuf);
        g.mss = ourMss();
        boolean active = !withAck;
        if (active || rcvWscale > 0 || sndWscale > 0) {
            g.wscale = rcvWscale;
        }
        if (active || sackOk) {
            g.sackPermitted = true;
        }
        if (active || tsOk) {
            g.timestamp = true;
            g.tsVal = tcp.nowMillis();
            g.tsEcr = tsRecent;
        }
        if (!active && !tsOk && rcvWscale == 0) {
            g.wscale = -1;
        }
        tcp.send(key, g, null);
    }

    // ------------------------------------------------------------------ segment arrival

    void segment(int seqRaw, int ackRaw, int fl, int wnd, Buffer data, Tcp.Options o) {
        lastReceiveNanos = System.nanoTime();
        keepProbes = 0;
        if (state == State.SYN_SENT) {
            synSent(seqRaw, ackRaw, fl, wnd, data, o);
            return;
        }
        long seq = widen(rcvNxt, seqRaw);
        int dataLen = data.length();
        long segLen = dataLen + ((fl & Tcp.SYN) != 0 ? 1 : 0) + ((fl & Tcp.FIN) != 0 ? 1 : 0);
        long window = rcvAdvEdge - rcvNxt;
        boolean acceptable = window <= 0
                ? segLen == 0 && seq == rcvNxt
                : (seq >= rcvNxt && seq < rcvNxt + window)
                        || (segLen > 0 && seq + segLen - 1 >= rcvNxt && seq + segLen - 1 < rcvNxt + window)
                        || (segLen == 0 && seq == rcvNxt);
        if (state == State.TIME_WAIT && (fl & Tcp.FIN) != 0) {
            data.release();
            sendAck();
            armTimeWait();
            return;
        }
        if (!acceptable) {
            data.release();
            if ((fl & Tcp.RST) == 0) {
                sendAck();
            }
            return;
        }
        if ((fl & Tcp.RST) != 0) {
            data.release();
            if (seq == rcvNxt) {
                if (state == State.SYN_RECEIVED && listener != null) {
                    listener.synReceived--;
                    listener = null;
                    close(true);
                } else {
                    abort(new NetException.ConnectionReset(0, remoteAddr, null), false);
                }
            } else {
                sendAck(); // challenge ACK (RFC 5961)
            }
            return;
        }
        if ((fl & Tcp.SYN) != 0) {
            data.release();
            if (state == State.SYN_RECEIVED && seq == irs) {
                sendSyn(true); // our SYN-ACK was lost
            } else {
                sendAck();
            }
            return;
        }
        if ((fl & Tcp.ACK) == 0) {
            data.release();
            return;
        }
        if (tsOk && o.hasTimestamp && seq <= rcvNxt) {
            tsRecent = o.tsVal;
        }
        long ack = widen(sndUna, ackRaw);
        if (state == State.SYN_RECEIVED) {
            if (ack <= sndUna || ack > sndMax) {
                data.release();
                tcp.sendReset(key, ackRaw, 0, false);
                return;
            }
            state = State.ESTABLISHED;
            sndWnd = (long) wnd << sndWscale;
            sndWl1 = seq;
            sndWl2 = ack;
            if (rcvAdvEdge == 0) {
                rcvAdvEdge = rcvNxt + Math.min(rcvBuf, 65535L << rcvWscale);
            }
            Tcp.Listener l = listener;
            listener = null;
            if (l != null) {
                l.synReceived--;
                // Counted as pending until accepted through l; the listener owns it now.
                processAck(ack, wnd, seq, o, 0);
                l.established(this);
            }
        } else {
            if (ack > sndMax) {
                data.release();
                sendAck();
                return;
            }
            processAck(ack, wnd, seq, o, dataLen + ((fl & Tcp.FIN) != 0 ? 1 : 0));
            if (state == State.CLOSED) {
                data.release();
                return;
            }
        }
        if (dataLen > 0) {
            receiveData(seq, data);
        } else {
            data.release();
        }
        if ((fl & Tcp.FIN) != 0 && seq + dataLen == rcvNxt && !finReceived) {
            rcvNxt++;
            finReceived = true;
            wakeReader();
            switch (state) {
                case ESTABLISHED -> state = State.CLOSE_WAIT;
                case FIN_WAIT_1 -> state = finAcked() ? State.TIME_WAIT : State.CLOSING;
                case FIN_WAIT_2 -> state = State.TIME_WAIT;
                default -> { }
            }
            sendAck();
            if (state == State.TIME_WAIT) {
                armTimeWait();
            }
        }
        transmitPending();
    }

    private void synSent(int seqRaw, int ackRaw, int fl, int wnd, Buffer data, Tcp.Options o) {
        data.release();
        long ack = widen(sndUna, ackRaw);
        if ((fl & Tcp.ACK) != 0 && (ack <= iss || ack > sndMax)) {
            if ((fl & Tcp.RST) == 0) {
                tcp.sendReset(key, ackRaw, 0, false);
            }
            return;
        }
        if ((fl & Tcp.RST) != 0) {
            if ((fl & Tcp.ACK) != 0) {
                abort(new NetException.ConnectionRefused(0, remoteAddr, null), false);
            }
            return;
        }
        if ((fl & Tcp.SYN) == 0 || (fl & Tcp.ACK) == 0) {
            return; // simultaneous open is not supported: the peer's SYN is ignored and ours retransmitted
        }
        irs = seqRaw & 0xffffffffL;
        rcvNxt = irs + 1;
        takeSynOptions(o);
        if (!o.hasTimestamp) {
            tsOk = false;
            setMss();
        }
        sndWnd = (long) wnd << sndWscale; // a SYN's window is never scaled, but wscale is known to be 0 or applied after
        sndWnd = wnd;
        sndWl1 = rcvNxt;
        sndWl2 = ack;
        sndUna = ack;
        rtoTimer.cancel();
        retries = 0;
        rcvAdvEdge = rcvNxt + Math.min(rcvBuf, 65535L << rcvWscale);
        state = State.ESTABLISHED;
        sendAck();
        Promise<ConnectedSocket> p = connectPromise;
        connectPromise = null;
        if (p != null) {
            p.setValue(this);
        }
    }

    private boolean finAcked() {
        return finQueued && sndUna == queueSeq + queued + 1;
    }

    private void processAck(long ack, int wnd, long seq, Tcp.Options o, long segLen) {
        long now = System.nanoTime();
        if (o.sackCount > 0 && sackOk) {
            for (int b = 0; b < o.sackCount; b++) {
                long s = widen(sndUna, o.sack[2 * b]);
                long e = widen(sndUna, o.sack[2 * b + 1]);
                addSack(s, e);
            }
        }
        long newWnd = (long) wnd << sndWscale;
        boolean windowChanged = false;
        if (sndWl1 < seq || (sndWl1 == seq && sndWl2 <= ack)) {
            windowChanged = newWnd != sndWnd;
            sndWnd = newWnd;
            sndWl1 = seq;
            sndWl2 = ack;
        }
        if (ack > sndUna) {
            long acked = ack - sndUna;
            long rttMicros = -1;
            if (tsOk && o.hasTimestamp && o.tsEcr != 0) {
                rttMicros = Math.max(1, (tcp.nowMillis() - o.tsEcr)) * 1000L;
            } else if (rttSeq >= 0 && ack > rttSeq) {
                rttMicros = (now - rttStartNanos) / 1000;
            }
            if (rttSeq >= 0 && ack > rttSeq) {
                rttSeq = -1;
            }
            if (rttMicros > 0) {
                rttSample(rttMicros);
            }
            long flight = sndMax - sndUna;
            sndUna = ack;
            if (sndNxt < sndUna) {
                sndNxt = sndUna;
            }
            releaseAcked();
            trimSacked();
            retries = 0;
            persisting = false;
            if (recovery) {
                if (ack >= recoverSeq) {
                    recovery = false;
                    dupAcks = 0;
                } else if (!sackOk) {
                    // NewReno partial ACK: the next hole starts at the new sndUna.
                    retransmit(sndUna, Math.min(segmentPayload(), sndMax - sndUna));
                }
            } else {
                dupAcks = 0;
                cc.onAck(acked, rttMicros, now);
            }
            if (sndUna == sndMax) {
                rtoTimer.cancel();
            } else {
                armRto();
            }
            wakeWriters();
            if (finQueued && finAcked()) {
                switch (state) {
                    case FIN_WAIT_1 -> {
                        state = State.FIN_WAIT_2;
                        if (appClosed) {
                            armTimeWait(); // an orphaned FIN_WAIT_2 does not wait forever for the peer's FIN
                        }
                    }
                    case CLOSING -> {
                        state = State.TIME_WAIT;
                        armTimeWait();
                    }
                    case LAST_ACK -> close(true);
                    default -> { }
                }
            }
            if (flight == 0) {
                return;
            }
        } else if (ack == sndUna && segLen == 0 && !windowChanged && sndMax > sndUna) {
            dupAcks++;
            if (!recovery && dupAcks == 3) {
                enterRecovery(now);
            }
        }
        // RFC 6675 loss detection: three segments' worth SACKed above a hole, even on ACKs that carry data.
        if (!recovery && sackOk && sndMax > sndUna && sackedBytes >= 3L * mss) {
            enterRecovery(now);
        }
    }

    private void enterRecovery(long now) {
        recovery = true;
        recoverSeq = sndMax;
        cc.onLoss(sndMax - sndUna, now);
        long n = Math.min(segmentPayload(), sndMax - sndUna);
        retransmit(sndUna, n);
        highRxt = sndUna + n;
    }

    private void rttSample(long r) {
        if (srtt < 0) {
            srtt = r;
            rttvar = r / 2;
        } else {
            rttvar = (3 * rttvar + Math.abs(srtt - r)) / 4;
            srtt = (7 * srtt + r) / 8;
        }
        rto = Math.min(MAX_RTO, Math.max(MIN_RTO, srtt + Math.max(1000, 4 * rttvar)));
    }

    private void addSack(long s, long e) {
        if (e <= s || e <= sndUna || e > sndMax) {
            return;
        }
        s = Math.max(s, sndUna);
        Map.Entry<Long, Long> prev = sacked.floorEntry(s);
        if (prev != null && prev.getValue() >= s) {
            s = prev.getKey();
            e = Math.max(e, prev.getValue());
            sackedBytes -= prev.getValue() - prev.getKey();
            sacked.remove(prev.getKey());
        }
        Map.Entry<Long, Long> next = sacked.ceilingEntry(s);
        while (next != null && next.getKey() <= e) {
            e = Math.max(e, next.getValue());
            sackedBytes -= next.getValue() - next.getKey();
            sacked.remove(next.getKey());
            next = sacked.ceilingEntry(s);
        }
        sacked.put(s, e);
        sackedBytes += e - s;
        highSacked = Math.max(highSacked, e);
    }

    private void trimSacked() {
        while (!sacked.isEmpty()) {
            Map.Entry<Long, Long> first = sacked.firstEntry();
            if (first.getKey() >= sndUna) {
                break;
            }
            sacked.remove(first.getKey());
            sackedBytes -= first.getValue() - first.getKey();
            if (first.getValue() > sndUna) {
                sacked.put(sndUna, first.getValue());
                sackedBytes += first.getValue() - sndUna;
            }
        }
        if (sacked.isEmpty()) {
            highSacked = sndUna;
        }
    }

    /** Releases send data below sndUna. */
    private void releaseAcked() {
        long dataEnd = queueSeq + queued;
        long upto = Math.min(sndUna, dataEnd);
        long n = upto - queueSeq;
        while (n > 0) {
            Buffer b = sendQueue.peek();
            if (b.length() <= n) {
                n -= b.length();
                queued -= b.length();
                queueSeq += b.length();
                sendQueue.poll().release();
            } else {
                b.trimFront((int) n);
                queued -= n;
                queueSeq += n;
                n = 0;
            }
        }
        while (!flushTargets.isEmpty() && flushTargets.peek()[0] <= sndNxt) {
            flushTargets.poll();
            flushWaiters.poll().setValue(null);
        }
    }

    private void receiveData(long seq, Buffer data) {
        if (state != State.ESTABLISHED && state != State.FIN_WAIT_1 && state != State.FIN_WAIT_2) {
            data.release();
            return;
        }
        if (seq < rcvNxt) {
            int skip = (int) Math.min(data.length(), rcvNxt - seq);
            data.trimFront(skip);
            seq += skip;
        }
        long edge = Math.max(rcvAdvEdge, rcvNxt);
        if (seq + data.length() > edge) {
            data.trim((int) Math.max(0, edge - seq));
        }
        if (data.length() == 0) {
            data.release();
            sendAck();
            return;
        }
        if (seq == rcvNxt) {
            deliver(data);
            while (!ooo.isEmpty() && ooo.firstKey() <= rcvNxt) {
                Map.Entry<Long, Buffer> e = ooo.pollFirstEntry();
                Buffer b = e.getValue();
                oooBytes -= b.length();
                long end = e.getKey() + b.length();
                if (end <= rcvNxt) {
                    b.release();
                    continue;
                }
                b.trimFront((int) (rcvNxt - e.getKey()));
                deliver(b);
            }
            unackedSegments++;
            unackedBytes += data.length();
            if (!ooo.isEmpty() || unackedSegments >= 2 || unackedBytes >= 2L * mss) {
                sendAck();
            } else if (!ackTimer.isArmed()) {
                ackTimer.arm(Duration.ofMillis(40));
            }
        } else {
            // Out of order: keep a compact copy (a small view would pin a whole receive area) and ACK at once.
            Buffer copy = Buffer.copyOf(data.toArray());
            data.release();
            Buffer old = ooo.get(seq);
            if (old == null || old.length() < copy.length()) {
                if (old != null) {
                    oooBytes -= old.length();
                    old.release();
                }
                ooo.put(seq, copy);
                oooBytes += copy.length();
            } else {
                copy.release();
            }
            sendAck();
        }
    }

    private void deliver(Buffer b) {
        rcvNxt += b.length();
        if (inputClosed) {
            b.release();
            return;
        }
        Promise<Buffer> w = readWaiter;
        if (w != null && rcvQueue.isEmpty()) {
            readWaiter = null;
            w.setValue(b);
            return;
        }
        rcvQueue.add(b);
        rcvQueued += b.length();
    }

    private void wakeReader() {
        Promise<Buffer> w = readWaiter;
        if (w != null && rcvQueue.isEmpty()) {
            readWaiter = null;
            if (error != null) {
                w.setException(error);
            } else {
                w.setValue(Buffer.empty());
            }
        }
    }

    // ------------------------------------------------------------------ sending

    /** @return the receive window to advertise, never moving the right edge back (RFC 9293 3.8.6.2). */
    private int advertisedWindow() {
        long free = Math.max(0, rcvBuf - rcvQueued - oooBytes);
        long edge = rcvNxt + free;
        if (edge > rcvAdvEdge) {
            // Receiver silly-window avoidance: only open by a useful amount.
            if (edge - rcvAdvEdge >= Math.min(rcvBuf / 2, mss) || rcvAdvEdge <= rcvNxt) {
                rcvAdvEdge = edge;
            }
        }
        long w = Math.max(0, rcvAdvEdge - rcvNxt) >> rcvWscale;
        return (int) Math.min(65535, w);
    }

    /** @return merged out-of-order ranges reported as SACK blocks (3 beside a timestamp, else 4 fit in the options). */
    private int sackBlockCount() {
        if (!sackOk || ooo.isEmpty()) {
            return 0;
        }
        int max = tsOk ? 3 : 4;
        int n = 0;
        long end = -1;
        for (Map.Entry<Long, Buffer> e : ooo.entrySet()) {
            if (e.getKey() > end) {
                if (++n == max) {
                    return n;
                }
            }
            end = Math.max(end, e.getKey() + e.getValue().length());
        }
        return n;
    }

    /** @return payload bytes per segment: the MSS less the room SACK blocks take in this segment's options. */
    private int segmentPayload() {
        int blocks = sackBlockCount();
        return blocks == 0 ? mss : mss - 4 - 8 * blocks;
    }

    private Tcp.Segment header(int flags) {
        Tcp.Segment g = new Tcp.Segment();
        g.flags = flags;
        g.ack = (int) rcvNxt;
        g.window = advertisedWindow();
        if (tsOk) {
            g.timestamp = true;
            g.tsVal = tcp.nowMillis();
            g.tsEcr = tsRecent;
        }
        if (sackOk && !ooo.isEmpty()) {
            int n = sackBlockCount();
            g.sackBlocks = new long[2 * n];
            int i = 0;
            long curStart = -1, curEnd = -1;
            for (Map.Entry<Long, Buffer> e : ooo.entrySet()) {
                long s = e.getKey(), en = s + e.getValue().length();
                if (curStart >= 0 && s <= curEnd) {
                    curEnd = Math.max(curEnd, en);
                    continue;
                }
                if (curStart >= 0) {
                    if (i == n) {
                        break;
                    }
                    g.sackBlocks[2 * i] = curStart;
                    g.sackBlocks[2 * i + 1] = curEnd;
                    i++;
                }
                curStart = s;
                curEnd = en;
            }
            if (curStart >= 0 && i < n) {
                g.sackBlocks[2 * i] = curStart;
                g.sackBlocks[2 * i + 1] = curEnd;
                i++;
            }
            g.sackCount = i;
        }
        return g;
    }

    void sendAck() {
        if (state == State.CLOSED || state == State.SYN_SENT) {
            return;
        }
        Tcp.Segment g = header(Tcp.ACK);
        g.seq = (int) sndNxt;
        ackSent();
        tcp.send(key, g, null);
    }

    private void ackSent() {
        unackedSegments = 0;
        unackedBytes = 0;
        ackTimer.cancel();
    }

    /** @return a packet of views of the send data in [seq, seq + len). */
    private Packet slice(long seq, long len) {
        Packet p = Packet.empty();
        long skip = seq - queueSeq;
        for (Buffer b : sendQueue) {
            if (len <= 0) {
                break;
            }
            if (skip >= b.length()) {
                skip -= b.length();
                continue;
            }
            int n = (int) Math.min(b.length() - skip, len);
            p.append(b.share((int) skip, n));
            len -= n;
            skip = 0;
        }
        return p;
    }

    private void sendData(long seq, long len, boolean fin) {
        Tcp.Segment g = header(Tcp.ACK | (fin ? Tcp.FIN : 0) | (len > 0 && seq + len == queueSeq + queued ? Tcp.PSH : 0));
        g.seq = (int) seq;
        if (len > segmentPayload()) {
            g.gsoSize = segmentPayload();
        }
        ackSent();
        if (rttSeq < 0 && seq >= sndMax && !tsOk) {
            rttSeq = seq + len;
            rttStartNanos = System.nanoTime();
        }
        tcp.send(key, g, len > 0 ? slice(seq, len) : null);
    }

    private void retransmit(long seq, long len) {
        if (len <= 0) {
            return;
        }
        long dataEnd = queueSeq + queued;
        long dataLen = Math.max(0, Math.min(len, dataEnd - seq));
        boolean fin = finQueued && seq + dataLen == dataEnd && seq + len > dataEnd;
        stack.counters.tcpRetransmits++;
        if (rttSeq >= 0 && rttSeq > seq) {
            rttSeq = -1; // Karn: no sample from a retransmitted range
        }
        sendData(seq, dataLen, fin);
    }

    /** @return the next hole for SACK recovery (start, length), or null. */
    private long[] nextHole() {
        long cursor = Math.max(sndUna, highRxt);
        while (cursor < highSacked) {
            Map.Entry<Long, Long> in = sacked.floorEntry(cursor);
            if (in != null && in.getValue() > cursor) {
                cursor = in.getValue();
                continue;
            }
            Long nextStart = sacked.ceilingKey(cursor);
            long end = nextStart == null ? highSacked : nextStart;
            return new long[] {cursor, Math.min(segmentPayload(), end - cursor)};
        }
        return null;
    }

    private long pipe() {
        long inflight = sndNxt - sndUna - sackedBytes;
        if (recovery) {
            if (sackOk) {
                long lost = 0;
                long cursor = Math.max(sndUna, highRxt);
                for (Map.Entry<Long, Long> e : sacked.tailMap(cursor, true).entrySet()) {
                    if (e.getKey() > cursor) {
                        lost += e.getKey() - cursor;
                    }
                    cursor = Math.max(cursor, e.getValue());
                }
                inflight -= lost;
            } else {
                inflight -= (long) dupAcks * mss;
            }
        }
        return Math.max(0, inflight);
    }

    /** Sends what the windows allow: SACK retransmissions first, then new data, then a FIN. */
    void transmitPending() {
        if (state == State.CLOSED || state == State.SYN_SENT || state == State.SYN_RECEIVED || state == State.TIME_WAIT) {
            return;
        }
        boolean tso = (stack.network.device().offloads() & DeviceQueue.TX_TSO) != 0;
        int seg = segmentPayload();
        int maxSeg = tso ? Math.max(seg, (60000 / seg) * seg) : seg;
        for (int guard = 0; guard < 1024; guard++) {
            long cwnd = cc.cwnd();
            long pipe = pipe();
            if (recovery && sackOk) {
                long[] hole = nextHole();
                if (hole != null && pipe + hole[1] <= cwnd) {
                    retransmit(hole[0], hole[1]);
                    highRxt = hole[0] + hole[1];
                    continue;
                }
            }
            long dataEnd = queueSeq + queued;
            long unsent = dataEnd - sndNxt;
            if (unsent > 0) {
                long can = Math.min(sndUna + sndWnd - sndNxt, cwnd - pipe);
                if (can <= 0) {
                    break;
                }
                long n = Math.min(Math.min(unsent, can), maxSeg);
                boolean inFlight = sndMax > sndUna;
                if (n < seg && n < unsent && inFlight) {
                    break; // sender silly-window avoidance
                }
                if (!noDelay && n < seg && inFlight) {
                    break; // Nagle, when the application asked for it
                }
                boolean fin = finQueued && sndNxt + n == dataEnd;
                if (sndNxt < sndMax) {
                    stack.counters.tcpRetransmits++;
                }
                sendData(sndNxt, n, fin);
                sndNxt += n + (fin ? 1 : 0);
                sndMax = Math.max(sndMax, sndNxt);
                continue;
            }
            if (finQueued && sndNxt == dataEnd) {
                sendData(sndNxt, 0, true);
                sndNxt++;
                sndMax = Math.max(sndMax, sndNxt);
            }
            break;
        }
        if (sndMax > sndUna && !rtoTimer.isArmed()) {
            armRto();
        }
        if (queueSeq + queued > sndNxt && sndWnd == 0 && sndMax == sndUna && !persisting) {
            persisting = true;
            armRto();
        }
        releaseFlushed();
    }

    private void releaseFlushed() {
        while (!flushTargets.isEmpty() && flushTargets.peek()[0] <= sndNxt) {
            flushTargets.poll();
            flushWaiters.poll().setValue(null);
        }
    }

    private void armRto() {
        long d = Math.min(MAX_RTO, rto << Math.min(retries, 10));
        rtoTimer.arm(Duration.ofNanos(d * 1000));
    }

    private void onRto() {
        switch (state) {
            case SYN_SENT, SYN_RECEIVED -> {
                if (++retries > SYN_RETRIES) {
                    if (listener != null) {
                        listener.synReceived--;
                        listener = null;
                        close(true);
                    } else {
                        abort(new NetException.TimedOut("connect", 0, remoteAddr, null), false);
                    }
                    return;
                }
                sendSyn(state == State.SYN_RECEIVED);
                armRto();
            }
            case CLOSED, TIME_WAIT -> { }
            default -> {
                if (persisting && sndMax == sndUna) {
                    // Zero-window probe: an old byte's worth of sequence elicits an ACK with the current window.
                    Tcp.Segment g = header(Tcp.ACK);
                    g.seq = (int) (sndUna - 1);
                    tcp.send(key, g, null);
                    retries = Math.min(retries + 1, 10);
                    if (sndWnd == 0) {
                        armRto();
                    } else {
                        persisting = false;
                        transmitPending();
                    }
                    return;
                }
                if (sndMax == sndUna) {
                    return;
                }
                if (++retries > DATA_RETRIES) {
                    abort(new NetException.TimedOut("retransmission", 0, remoteAddr, null), true);
                    return;
                }
                cc.onTimeout(sndMax - sndUna, System.nanoTime());
                recovery = false;
                dupAcks = 0;
                sacked.clear();
                sackedBytes = 0;
                highSacked = sndUna;
                highRxt = sndUna;
                rttSeq = -1;
                sndNxt = sndUna; // go back: resend from the oldest unacknowledged byte
                stack.counters.tcpRetransmits++;
                long dataEnd = queueSeq + queued;
                long n = Math.min(segmentPayload(), Math.max(0, dataEnd - sndNxt));
                boolean fin = finQueued && sndNxt + n == dataEnd;
                sendData(sndNxt, n, fin);
                sndNxt += n + (fin ? 1 : 0);
                armRto();
            }
        }
    }

    void icmpError(int kind, int mtu) {
        if (kind == Tcp.ICMP_FRAG_NEEDED) {
            int before = mss;
            setMss();
            if (mss < before && sndMax > sndUna) {
                sndNxt = sndUna;
                transmitPending();
            }
        } else if (state == State.SYN_SENT) {
            abort(new NetException.Unreachable(0, remoteAddr, null), false);
        }
    }

    private void armTimeWait() {
        rtoTimer.cancel();
        ackTimer.cancel();
        Duration d = stack.config.timeWait();
        new Timer(() -> {
            if (state == State.TIME_WAIT || state == State.FIN_WAIT_2) {
                close(true);
            }
        }).arm(d);
    }

    /** Leaves the table; with {@code quiet}, nothing is reported to the application. */
    private void close(boolean quiet) {
        state = State.CLOSED;
        rtoTimer.cancel();
        ackTimer.cancel();
        if (keepTimer != null) {
            keepTimer.cancel();
        }
        tcp.remove(this);
        if (!quiet) {
            wakeReader();
        }
    }

    /** Ends the connection with {@code e} (sending a reset when {@code sendRst}) and fails what is pending. */
    void abort(NetException e, boolean sendRst) {
        if (state == State.CLOSED) {
            return;
        }
        if (sendRst && state != State.SYN_SENT && state != State.TIME_WAIT) {
            tcp.sendReset(key, (int) sndNxt, (int) rcvNxt, true);
        }
        error = e;
        close(false);
        Promise<ConnectedSocket> cp = connectPromise;
        connectPromise = null;
        if (cp != null) {
            cp.setException(e);
        }
        Promise<Buffer> rw = readWaiter;
        readWaiter = null;
        if (rw != null) {
            rw.setException(e);
        }
        sendQueue.forEach(Buffer::release);
        sendQueue.clear();
        queued = 0;
        ooo.values().forEach(Buffer::release);
        ooo.clear();
        oooBytes = 0;
        while (!writeWaiters.isEmpty()) {
            writeWaiters.poll().setException(e);
        }
        flushTargets.clear();
        while (!flushWaiters.isEmpty()) {
            flushWaiters.poll().setException(e);
        }
    }

    private void wakeWriters() {
        while (!writeWaiters.isEmpty() && queued <= stack.config.sendBuffer()) {
            writeWaiters.poll().setValue(null);
        }
    }

    // ------------------------------------------------------------------ ConnectedSocket

    @Override
    public InputStream input() {
        return input;
    }

    @Override
    public OutputStream output() {
        return output;
    }

    @Override
    public SocketAddress localAddress() {
        return localAddr;
    }

    @Override
    public SocketAddress remoteAddress() {
        return remoteAddr;
    }

    @Override
    public void shutdownInput() {
        inputClosed = true;
        rcvQueue.forEach(Buffer::release);
        rcvQueue.clear();
        rcvQueued = 0;
        Promise<Buffer> w = readWaiter;
        readWaiter = null;
        if (w != null) {
            w.setValue(Buffer.empty());
        }
    }

    @Override
    public void shutdownOutput() {
        if (finQueued || state == State.CLOSED) {
            return;
        }
        finQueued = true;
        switch (state) {
            case ESTABLISHED -> state = State.FIN_WAIT_1;
            case CLOSE_WAIT -> state = State.LAST_ACK;
            default -> { }
        }
        transmitPending();
    }

    @Override
    public void setNoDelay(boolean on) {
        noDelay = on;
    }

    @Override
    public void setKeepAlive(KeepAlive ka) {
        keepAlive = ka;
        if (keepTimer == null) {
            keepTimer = new Timer(this::keepAliveCheck);
        }
        keepTimer.cancel();
        if (ka != null) {
            keepTimer.armPeriodic(Duration.ofSeconds(Math.max(1, Math.min(ka.idleSeconds(), ka.intervalSeconds()))));
        }
    }

    private void keepAliveCheck() {
        KeepAlive ka = keepAlive;
        if (ka == null || state == State.CLOSED) {
            return;
        }
        long idle = System.nanoTime() - lastReceiveNanos;
        long due = Duration.ofSeconds(ka.idleSeconds()).toNanos() + (long) keepProbes * Duration.ofSeconds(ka.intervalSeconds()).toNanos();
        if (idle < due) {
            return;
        }
        if (keepProbes >= ka.probes()) {
            abort(new NetException.TimedOut("keep-alive", 0, remoteAddr, null), true);
            return;
        }
        keepProbes++;
        Tcp.Segment g = header(Tcp.ACK);
        g.seq = (int) (sndUna - 1);
        tcp.send(key, g, null);
    }

    @Override
    public Future<Void> close() {
        appClosed = true;
        if (state == State.CLOSED) {
            return Future.done();
        }
        if (rcvQueued > 0 || !ooo.isEmpty()) {
            // Unread data would be lost silently: tell the peer with a reset (RFC 2525 2.17).
            abort(new NetException.SocketClosed("close", remoteAddr), true);
            return Future.done();
        }
        shutdownInput();
        shutdownOutput();
        if (state == State.FIN_WAIT_2) {
            armTimeWait();
        }
        return Future.done();
    }

    @Override
    public String toString() {
        return "tcp " + localAddr + " -> " + remoteAddr + " " + state + " [una " + (sndUna - iss) + " nxt "
                + (sndNxt - iss) + " max " + (sndMax - iss) + " queued " + queued + " wnd " + sndWnd + " cwnd " + cc.cwnd()
                + " ssthresh " + cc.ssthresh() + (recovery ? " recovery" : "") + " sacked " + sackedBytes + " retries "
                + retries + " rto " + rto + "us rto-armed " + rtoTimer.isArmed() + " rcvNxt " + (rcvNxt - irs) + " ooo "
                + ooo.size() + " rcvQueued " + rcvQueued + " adv " + (rcvAdvEdge - rcvNxt) + (finQueued ? " fin-queued" : "")
                + (finReceived ? " fin-received" : "") + "]";
    }

    private final class Input implements InputStream {
        @Override
        public Future<Buffer> read() {
            Buffer b = rcvQueue.poll();
            if (b != null) {
                int before = advertisedWindowValue();
                rcvQueued -= b.length();
                if (!finReceived && (before < mss || advertisedGrowth() >= 2L * mss)) {
                    sendAck(); // window update
                }
                return Future.ready(b);
            }
            if (error != null) {
                return Future.failed(error);
            }
            if (finReceived || inputClosed || state == State.CLOSED) {
                return Future.ready(Buffer.empty());
            }
            if (readWaiter != null) {
                return Future.failed(new IllegalStateException("a read is already pending on " + TcpConnection.this));
            }
            readWaiter = new Promise<>();
            return readWaiter;
        }

        @Override
        public Future<Void> close() {
            shutdownInput();
            return Future.done();
        }
    }

    private int advertisedWindowValue() {
        return (int) Math.max(0, rcvAdvEdge - rcvNxt);
    }

    private long advertisedGrowth() {
        long free = Math.max(0, rcvBuf - rcvQueued - oooBytes);
        return rcvNxt + free - rcvAdvEdge;
    }

    private final class Output implements OutputStream {
        @Override
        public Future<Void> write(Buffer data) {
            if (error != null) {
                data.release();
                return Future.failed(error);
            }
            if (finQueued || state == State.CLOSED) {
                data.release();
                return Future.failed(new NetException.SocketClosed("write", remoteAddr));
            }
            if (data.length() == 0) {
                data.release();
                return Future.done();
            }
            sendQueue.add(data);
            queued += data.length();
            transmitPending();
            if (queued <= stack.config.sendBuffer()) {
                return Future.done();
            }
            Promise<Void> p = new Promise<>();
            writeWaiters.add(p);
            return p;
        }

        @Override
        public Future<Void> write(Packet data) {
            int n = data.fragmentCount();
            if (n == 0) {
                data.release();
                return Future.done();
            }
            Future<Void> last = Future.done();
            for (int i = 0; i < n; i++) {
                last = write(data.fragment(i).share());
            }
            data.release();
            return last;
        }

        @Override
        public Future<Void> flush() {
            if (error != null) {
                return Future.failed(error);
            }
            long target = queueSeq + queued;
            if (sndNxt >= target) {
                return Future.done();
            }
            Promise<Void> p = new Promise<>();
            flushTargets.add(new long[] {target});
            flushWaiters.add(p);
            return p;
        }

        @Override
        public Future<Void> close() {
            return flush().map(v -> {
                shutdownOutput();
                return null;
            });
        }
    }
}
