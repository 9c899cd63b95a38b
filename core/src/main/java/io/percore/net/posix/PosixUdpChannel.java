package io.percore.net.posix;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.NetException;
import io.percore.net.SocketAddress;
import io.percore.net.UdpChannel;
import io.percore.reactor.PollableFd;
import io.percore.reactor.ReactorBackend;
import io.percore.reactor.Readiness;
import io.percore.reactor.SocketOps;
import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;
import io.percore.sys.Fd;
import io.percore.sys.MsgHdr;
import io.percore.sys.SockAddr;
import io.percore.sys.Socket;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.function.BiConsumer;

/**
 * A UDP socket of the {@link PosixStack}. Sends go out in order, one {@code sendmsg} per datagram with the
 * packet's fragments as iovecs and the destination as the message's name; receives use {@code recvmsg} into a
 * 64 KiB buffer with the source address as the name.
 *
 * <p><b>Receive buffers.</b> Every datagram is read into the channel's 64 KiB buffer (any datagram fits, so
 * none is truncated). A large datagram keeps that buffer, trimmed to its length, and the channel takes a fresh
 * one; a small one is copied into a buffer of its own size, so a few bytes never pin 64 KiB of the pool.
 *
 * <p>A failed send (EMSGSIZE for a datagram over 65,507 bytes on IPv4) fails that send only; the channel goes
 * on. Thread rules: the owning shard only.
 */
final class PosixUdpChannel implements UdpChannel {
    /** Receive buffer: larger than any UDP payload (65,507 bytes over IPv4, 65,527 over IPv6 without jumbograms). */
    static final int RECEIVE_BUFFER = 64 << 10;
    /** Datagrams at least this long are handed over in the receive buffer itself rather than copied. */
    static final int HAND_OVER = 16 << 10;
    /** Iovecs per send; a packet with more fragments is gathered into one buffer first. */
    private static final int SEND_IOV = 64;

    private final PosixStack stack;
    private final ReactorBackend backend;
    private final SocketOps ops;
    private final int fd;
    private final PollableFd pfd;
    private final boolean ipv6;
    private final SocketAddress local;
    private final MsgHdr sendMessage;
    private final MsgHdr receiveMessage;
    /** Decoding an address allocates; a reply stream mostly comes from one sender, so the last one is kept. */
    private final SockAddr lastSenderRaw;
    private final Arena arena;
    private SocketAddress lastSender;
    private Buffer receiveBuffer;

    private final ArrayDeque<Send> sends = new ArrayDeque<>();
    private final ArrayDeque<Promise<Datagram>> receivers = new ArrayDeque<>();
    private boolean sending;
    private boolean receiving;
    private boolean closed;
    /** Completion path: operations in flight, which own the messages and the receive buffer until they complete. */
    private int inFlight;
    private final BiConsumer<Integer, Throwable> onWritable = this::writable;
    private final BiConsumer<Integer, Throwable> onReadable = this::readable;
    private final BiConsumer<Integer, Throwable> onSent = this::sendDone;
    private final BiConsumer<Integer, Throwable> onReceived = this::receiveDone;

    private record Send(SocketAddress to, Packet data, Promise<Void> done) {}

    private PosixUdpChannel(PosixStack stack, int fd, boolean ipv6, SocketAddress local) {
        this.stack = stack;
        this.backend = stack.backend();
        this.ops = stack.ops();
        this.fd = fd;
        this.pfd = new PollableFd(fd);
        this.ipv6 = ipv6;
        this.local = local;
        this.arena = Arena.ofConfined();
        this.sendMessage = new MsgHdr(arena, SEND_IOV);
        this.receiveMessage = new MsgHdr(arena, 1);
        this.lastSenderRaw = SockAddr.allocate(arena);
    }

    /** Opens and binds a channel; closes what it opened when binding fails. */
    static PosixUdpChannel open(PosixStack stack, SocketAddress local) {
        boolean ipv6 = local.isIpv6();
        int fd;
        try {
            fd = Socket.open(ipv6 ? Socket.AF_INET6 : Socket.AF_INET, Socket.SOCK_DGRAM);
        } catch (ErrnoException e) {
            throw NetErrors.map(e, local, "bind");
        }
        try {
            if (ipv6) {
                Socket.setOption(fd, Socket.IPPROTO_IPV6, Socket.IPV6_V6ONLY, 0);
            }
            SockAddr sa = stack.scratchAddress();
            Addresses.encode(sa, local, ipv6);
            Socket.bind(fd, sa);
            Socket.localAddress(fd, sa);
            return new PosixUdpChannel(stack, fd, ipv6, Addresses.decode(sa));
        } catch (RuntimeException e) {
            Fd.close(fd);
            throw NetErrors.map(e, local, "bind");
        }
    }

    /** @return the descriptor, for diagnostics and options this API does not cover; valid until {@link #close()}. */
    int fd() {
        return fd;
    }

    @Override
    public SocketAddress localAddress() {
        return local;
    }

    // ================================================================ sending

    @Override
    public Future<Void> send(SocketAddress to, Packet datagram) {
        if (closed) {
            datagram.release();
            return Future.failed(new NetException.SocketClosed("send", to));
        }
        if (to.isIpv6() && !ipv6) {
            datagram.release();
            return Future.failed(NetErrors.fromErrno(Errno.EAFNOSUPPORT, to, "send", null));
        }
        Promise<Void> p = new Promise<>();
        sends.add(new Send(to, datagram, p));
        if (!sending) {
            sending = true;
            if (ops != null) {
                submitSend();
            } else {
                sendNow();
            }
        }
        return p;
    }

    /** Points the send message at the head datagram and its destination. */
    private void prepare(Send s) {
        MsgHdr m = sendMessage;
        m.reset();
        if (s.data().fragmentCount() > m.capacity()) {
            s.data().linearize().release(); // gathers the fragments into one buffer, which the packet keeps
        }
        int n = s.data().fragmentCount();
        for (int i = 0; i < n; i++) {
            Buffer f = s.data().fragment(i);
            m.setIov(i, f.segment(), 0, f.length());
        }
        m.setIovCount(n);
        Addresses.encode(m.name(), s.to(), ipv6);
        m.useName(true);
    }

    private void sendNow() {
        for (Send s; (s = sends.peekFirst()) != null; ) {
            long n;
            try {
                prepare(s);
                n = Socket.sendmsg(fd, sendMessage, 0);
            } catch (RuntimeException e) {
                sends.pollFirst();
                s.data().release();
                s.done().setException(NetErrors.map(e, s.to(), "send"));
                continue;
            }
            if (n < 0) {
                backend.pollReady(pfd, Readiness.OUT).onComplete(onWritable);
                return;
            }
            sends.pollFirst();
            s.data().release();
            s.done().setValue(null);
        }
        sending = false;
    }

    private void writable(Integer bits, Throwable err) {
        if (closed) {
            return;
        }
        if (err != null) {
            failSends(NetErrors.map(err, local, "send"));
            return;
        }
        if (ops != null) {
            submitSend();
        } else {
            sendNow();
        }
    }

    private void submitSend() {
        Send s = sends.peekFirst();
        if (s == null) {
            sending = false;
            return;
        }
        try {
            prepare(s);
        } catch (RuntimeException e) {
            sends.pollFirst();
            s.data().release();
            s.done().setException(NetErrors.map(e, s.to(), "send"));
            submitSend();
            return;
        }
        inFlight++;
        ops.sendmsg(pfd, sendMessage.segment(), Socket.MSG_NOSIGNAL).onComplete(onSent);
    }

    private void sendDone(Integer n, Throwable err) {
        inFlight--;
        if (closed) {
            freeIfIdle();
            return;
        }
        if (err != null && NetErrors.isWouldBlock(err)) {
            backend.pollReady(pfd, Readiness.OUT).onComplete(onWritable);
            return;
        }
        Send s = sends.pollFirst();
        s.data().release();
        if (err != null) {
            s.done().setException(NetErrors.map(err, s.to(), "send"));
        } else {
            s.done().setValue(null);
        }
        submitSend();
    }

    private void failSends(NetException e) {
        sending = false;
        for (Send s; (s = sends.pollFirst()) != null; ) {
            s.data().release();
            s.done().setException(e);
        }
    }

    // ================================================================ receiving

    @Override
    public Future<Datagram> receive() {
        if (closed) {
            return Future.failed(new NetException.SocketClosed("receive", local));
        }
        Promise<Datagram> p = new Promise<>();
        receivers.add(p);
        if (!receiving) {
            receiving = true;
            if (ops != null) {
                submitReceive();
            } else {
                receiveNow();
            }
        }
        return p;
    }

    /** Points the receive message at the channel's buffer, with room for the source address. */
    private void prepareReceive() {
        if (receiveBuffer == null) {
            receiveBuffer = Buffer.allocate(RECEIVE_BUFFER);
        }
        MsgHdr m = receiveMessage;
        m.reset();
        m.setIov(0, receiveBuffer.segment(), 0, RECEIVE_BUFFER);
        m.setIovCount(1);
        m.expectName();
    }

    private void receiveNow() {
        while (!receivers.isEmpty()) {
            long n;
            try {
                prepareReceive();
                n = Socket.recvmsg(fd, receiveMessage, 0);
            } catch (RuntimeException e) {
                receivers.pollFirst().setException(NetErrors.map(e, local, "receive"));
                continue;
            }
            if (n < 0) {
                backend.pollReady(pfd, Readiness.IN).onComplete(onReadable);
                return;
            }
            deliver((int) n);
        }
        receiving = false;
    }

    private void readable(Integer bits, Throwable err) {
        if (closed) {
            return;
        }
        if (err != null) {
            NetException e = NetErrors.map(err, local, "receive");
            for (Promise<Datagram> p; (p = receivers.pollFirst()) != null; ) {
                p.setException(e);
            }
            receiving = false;
            return;
        }
        if (ops != null) {
            submitReceive();
        } else {
            receiveNow();
        }
    }

    private void submitReceive() {
        if (receivers.isEmpty()) {
            receiving = false;
            return;
        }
        try {
            prepareReceive();
        } catch (RuntimeException e) {
            receivers.pollFirst().setException(e);
            submitReceive();
            return;
        }
        inFlight++;
        ops.recvmsg(pfd, receiveMessage.segment(), 0).onComplete(onReceived);
    }

    private void receiveDone(Integer n, Throwable err) {
        inFlight--;
        if (closed) {
            freeIfIdle();
            return;
        }
        if (err != null) {
            if (NetErrors.isWouldBlock(err)) {
                backend.pollReady(pfd, Readiness.IN).onComplete(onReadable);
                return;
            }
            receivers.pollFirst().setException(NetErrors.map(err, local, "receive"));
        } else {
            receiveMessage.receivedNameLength();
            deliver(n);
        }
        submitReceive();
    }

    /** Hands the datagram of {@code n} bytes now in the receive buffer to the oldest receiver. */
    private void deliver(int n) {
        Promise<Datagram> p = receivers.pollFirst();
        SocketAddress sender;
        try {
            sender = sender();
        } catch (RuntimeException e) {
            p.setException(NetErrors.map(e, local, "receive"));
            return;
        }
        Buffer data;
        if (n >= HAND_OVER) {
            data = receiveBuffer;
            receiveBuffer = null;
            data.trim(n);
        } else if (n == 0) {
            data = Buffer.empty();
        } else {
            try {
                data = Buffer.allocate(n);
            } catch (RuntimeException e) {
                p.setException(e);
                return;
            }
            MemorySegment.copy(receiveBuffer.segment(), 0, data.segment(), 0, n);
        }
        p.setValue(new Datagram(sender, data));
    }

    private SocketAddress sender() {
        SockAddr raw = receiveMessage.name();
        if (lastSender == null || !raw.sameAs(lastSenderRaw)) {
            lastSender = Addresses.decode(raw);
            lastSenderRaw.copyFrom(raw);
        }
        return lastSender;
    }

    // ================================================================ closing

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        NetException.SocketClosed e = new NetException.SocketClosed("receive", local);
        for (Promise<Datagram> p; (p = receivers.pollFirst()) != null; ) {
            p.setException(e);
        }
        // A datagram in flight (completion path) is still owned by its operation; the others go now.
        Send inFlightSend = inFlight > 0 && sending ? sends.pollFirst() : null;
        failSends(new NetException.SocketClosed("send", local));
        if (inFlightSend != null) {
            inFlightSend.done().setException(new NetException.SocketClosed("send", local));
            sends.add(inFlightSend); // released with the memory below
        }
        backend.forget(pfd);
        Fd.close(fd);
        freeIfIdle();
    }

    private void freeIfIdle() {
        if (inFlight > 0) {
            return;
        }
        for (Send s; (s = sends.pollFirst()) != null; ) {
            s.data().release();
        }
        if (receiveBuffer != null) {
            receiveBuffer.release();
            receiveBuffer = null;
        }
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "udp channel " + local + (closed ? " (closed)" : "");
    }
}
