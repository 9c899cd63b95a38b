package io.percore.net.posix;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.ConnectedSocket;
import io.percore.net.InputStream;
import io.percore.net.NetException;
import io.percore.net.OutputStream;
import io.percore.net.SocketAddress;
import io.percore.reactor.PollableFd;
import io.percore.reactor.ReactorBackend;
import io.percore.reactor.Readiness;
import io.percore.reactor.ReceiveStream;
import io.percore.reactor.SocketOps;
import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;
import io.percore.sys.Fd;
import io.percore.sys.MsgHdr;
import io.percore.sys.Socket;
import java.util.ArrayDeque;
import java.util.function.BiConsumer;

/**
 * A TCP connection of the {@link PosixStack}: a kernel socket owned by one shard.
 *
 * <p><b>Reading.</b> Each read allocates a buffer from the shard's pool, 8 KiB to 64 KiB as the traffic
 * warrants (a read that fills its buffer doubles the next one, a read that brings less than a quarter halves
 * it), and hands it to the caller. On the readiness path a short read means the socket is drained, so the next
 * read waits for readiness before calling recv; the backend remembers readiness that arrived in between. The
 * exception is a readiness report that also carried the peer's FIN (RDHUP) or an error: that condition stays
 * true without a new edge, so from then on every read calls recv at once, until it meets the end. On the
 * completion path, when the backend offers a {@link ReceiveStream} (io_uring's multishot receive into provided
 * buffers), reads take the buffers it received ahead instead, sized by the backend.
 *
 * <p><b>Writing.</b> Writes join one send queue (a {@link Packet} of every fragment not yet taken by the
 * kernel). The first write of a task schedules a send for the end of that task, so the writes a task makes go
 * out together in one {@code sendmsg} of up to {@link MsgHdr#IOV_MAX} fragments. A write's future is ready
 * while the queue holds at most {@link PosixStack#SEND_QUEUE_LIMIT} bytes; beyond, it waits until the kernel has
 * taken enough, which is the back-pressure a writer that waits for its writes obeys. When the backend offers
 * zero-copy sends ({@link SocketOps#zeroCopyThreshold()}), a head fragment at least that large goes out alone
 * that way, a view of it held until the kernel says it is done.
 *
 * <p><b>Failures</b> (a reset, a broken pipe) fail this connection's pending and later operations with the
 * typed {@link NetException}; nothing else is affected.
 *
 * <p><b>A reset is reported to the reader, whoever meets it first.</b> When a reset arrives, Linux keeps the
 * queued data readable, records ECONNRESET as the socket's pending error and marks both directions shut. The
 * pending error is handed out <em>once</em>, to the first call that looks (recv, send, or getsockopt SO_ERROR);
 * every later recv answers 0, exactly like an orderly end of stream. So a read that gets 0 asks whether the send
 * side took the reset: if its failure was ECONNRESET the read fails with the same reset. EPIPE does not count: the
 * kernel records EPIPE instead of ECONNRESET when the reset comes after the peer's FIN, and then the stream did
 * end in order. On the completion path a send may have taken the reset in the kernel before its completion is
 * seen, so a read that gets 0 while a send is in flight waits for that completion before it answers. The TCP
 * state (TCP_INFO) cannot settle it: a reset after a FIN leaves the socket in TCP_CLOSE just as a reset that ends
 * a live connection does.
 *
 * <p>Thread rules: the owning shard only.
 */
public final class PosixConnectedSocket implements ConnectedSocket {
    private final PosixStack stack;
    private final ReactorBackend backend;
    private final SocketOps ops;
    private final int fd;
    private final PollableFd pfd;
    private final SocketAddress remote;
    /** The listener it came through, told when it closes (live counts for balancing); null for outgoing connections. */
    private final ListenerGroup origin;
    private final Input input = new Input();
    private final Output output = new Output();
    private SocketAddress local;
    private boolean closed;
    /** Completion-path operations still owning memory of this socket (buffers, the msghdr). */
    private int inFlight;
    /** Resolved once no operation owns memory of this socket any more; created by close. */
    private Outcome released;

    PosixConnectedSocket(PosixStack stack, int fd, PollableFd pfd, SocketAddress remote, ListenerGroup origin) {
        this.stack = stack;
        this.backend = stack.backend();
        this.ops = stack.ops();
        this.fd = fd;
        this.pfd = pfd;
        this.remote = remote;
        this.origin = origin;
    }

    @Override
    public InputStream input() {
        return input;
    }

    @Override
    public OutputStream output() {
        return output;
    }

    /** @return the descriptor, for diagnostics and options this API does not cover; valid until {@link #close()}. */
    public int fd() {
        return fd;
    }

    @Override
    public SocketAddress localAddress() {
        if (local == null) {
            if (closed) {
                throw new NetException.SocketClosed("localAddress", remote);
            }
            try {
                Socket.localAddress(fd, stack.scratchAddress());
                local = Addresses.decode(stack.scratchAddress());
            } catch (ErrnoException e) {
                throw NetErrors.map(e, remote, "getsockname");
            }
        }
        return local;
    }

    @Override
    public SocketAddress remoteAddress() {
        return remote;
    }

    @Override
    public void shutdownInput() {
        input.close();
    }

    @Override
    public void shutdownOutput() {
        if (!closed) {
            output.close().ignoreFailure();
        }
    }

    /**
     * @throws NetException.SocketClosed after {@link #close()}; another {@link NetException} when the kernel
     * refuses
     */
    @Override
    public void setNoDelay(boolean on) {
        setOption(Socket.IPPROTO_TCP, Socket.TCP_NODELAY, on ? 1 : 0);
    }

    /**
     * @throws NetException.SocketClosed after {@link #close()}; another {@link NetException} when the kernel
     * refuses (e.g. a value out of range)
     */
    @Override
    public void setKeepAlive(KeepAlive keepAlive) {
        if (keepAlive == null) {
            setOption(Socket.SOL_SOCKET, Socket.SO_KEEPALIVE, 0);
            return;
        }
        setOption(Socket.IPPROTO_TCP, Socket.TCP_KEEPIDLE, keepAlive.idleSeconds());
        setOption(Socket.IPPROTO_TCP, Socket.TCP_KEEPINTVL, keepAlive.intervalSeconds());
        setOption(Socket.IPPROTO_TCP, Socket.TCP_KEEPCNT, keepAlive.probes());
        setOption(Socket.SOL_SOCKET, Socket.SO_KEEPALIVE, 1);
    }

    private void setOption(int level, int option, int value) {
        if (closed) {
            throw new NetException.SocketClosed("setsockopt", remote);
        }
        try {
            Socket.setOption(fd, level, option, value);
        } catch (ErrnoException e) {
            throw NetErrors.map(e, remote, "setsockopt");
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Data still queued for sending is dropped: close {@link #output()} first (it flushes) for an orderly
     * end. The returned future is ready once the kernel no longer uses any memory of this socket (on the
     * completion path, when the cancelled operations have completed).
     */
    @Override
    public Future<Void> close() {
        if (closed) {
            return released.future();
        }
        closed = true;
        released = new Outcome();
        input.closed();
        output.closed();
        // Forget before close, so no completion or readiness can arrive for a reused descriptor number.
        backend.forget(pfd);
        try {
            Fd.close(fd);
        } catch (ErrnoException e) {
            // Nothing to recover: the descriptor is released either way.
        }
        if (origin != null) {
            origin.balancer.closed(stack.shardId());
        }
        if (inFlight == 0) {
            output.releaseMemory();
            released.succeed();
        }
        return released.future();
    }

    /** @return true once {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    private void opDone() {
        if (--inFlight == 0 && closed) {
            output.releaseMemory();
            released.succeed();
        }
    }

    @Override
    public String toString() {
        return "connection " + remote + " (fd " + fd + (closed ? ", closed)" : ")");
    }

    // ================================================================ reading

    private final class Input implements InputStream {
        private Promise<Buffer> pending;
        private NetException error;
        /** End of stream seen, or input shut down or closed: reads return the empty buffer. */
        private boolean eof;
        /** Readiness path: data may be waiting, so try recv before waiting for readiness. */
        private boolean expectData = true;
        /**
         * Readiness path: a readiness report carried the peer's FIN (RDHUP), a hang-up or an error. That condition
         * stays true and announces itself with no new edge, so from then on every read calls recv, however short
         * the read before it was: the data ahead of the FIN may take several reads to drain.
         */
        private boolean hungUp;
        /** Readiness path: a read-readiness wait is outstanding. */
        private boolean waiting;
        private int readSize = PosixStack.MIN_READ;
        /** Completion path: recv answered 0 while a send was in flight; the read waits for that send's result. */
        private boolean endAwaitsSend;
        private final BiConsumer<Integer, Throwable> onReadable = this::readable;
        /** Completion path: the backend's own receive stream (io_uring multishot receive), made by the first read. */
        private ReceiveStream stream;
        private boolean streamAsked;

        @Override
        public Future<Buffer> read() {
            if (closed) {
                return Future.failed(new NetException.SocketClosed("read", remote));
            }
            if (pending != null) {
                return Future.failed(new IllegalStateException("a read is already pending on " + PosixConnectedSocket.this));
            }
            if (error != null) {
                return Future.failed(error);
            }
            if (eof) {
                return Future.ready(Buffer.empty());
            }
            if (ops != null) {
                if (!streamAsked) {
                    streamAsked = true;
                    stream = ops.receiveStream(pfd);
                }
                if (stream != null) {
                    return readStream();
                }
                Promise<Buffer> p = new Promise<>();
                pending = p;
                submitRecv();
                return p;
            }
            if (expectData) {
                try {
                    Buffer b = recvNow();
                    if (b != null) {
                        return Future.ready(b);
                    }
                } catch (RuntimeException e) {
                    return Future.failed(e);
                }
            }
            Promise<Buffer> p = new Promise<>();
            pending = p;
            awaitReadable();
            return p;
        }

        /** @return data, the empty buffer at end of stream, or null when nothing is waiting. */
        private Buffer recvNow() {
            int size = readSize;
            Buffer b = Buffer.allocate(size);
            long n;
            try {
                n = Socket.recv(fd, b.segment(), size, 0);
            } catch (ErrnoException e) {
                b.release();
                throw failed(e);
            }
            if (n < 0) {
                b.release();
                expectData = false;
                return null;
            }
            if (n == 0) {
                b.release();
                NetException reset = resetInsteadOfEnd();
                if (reset != null) {
                    throw reset;
                }
                eof = true;
                return Buffer.empty();
            }
            // A full buffer suggests more is waiting; a short read drained the socket (its next data makes a new
            // edge), unless the peer's FIN was already reported: no edge follows that one.
            expectData = n == size || hungUp;
            if (n < size) {
                b.trim((int) n);
            }
            adapt((int) n, size);
            return b;
        }

        private void adapt(int n, int size) {
            if (n == size && size < PosixStack.MAX_READ) {
                readSize = size * 2;
            } else if (n < size / 4 && size > PosixStack.MIN_READ) {
                readSize = size / 2;
            }
        }

        /**
         * A reset is reported once, to whichever call meets it first: when the sending side took it, recv then
         * sees 0 as if the peer had closed. The reader learns of the reset from the sending side instead.
         */
        private NetException resetInsteadOfEnd() {
            if (output.error instanceof NetException.ConnectionReset reset && reset.errno() == Errno.ECONNRESET) {
                error = reset;
                return reset;
            }
            return null;
        }

        /** The send in flight when recv answered 0 has completed: the read now knows whether it met a reset. */
        void sendSettled() {
            if (!endAwaitsSend) {
                return;
            }
            endAwaitsSend = false;
            Promise<Buffer> p = pending;
            pending = null;
            if (p == null) {
                return; // answered meanwhile (shut down or closed)
            }
            NetException reset = resetInsteadOfEnd();
            if (reset != null) {
                p.setException(reset);
                return;
            }
            eof = true;
            p.setValue(Buffer.empty());
        }

        private NetException failed(Throwable e) {
            NetException ne = NetErrors.map(e, remote, "read");
            error = ne;
            return ne;
        }

        private void awaitReadable() {
            if (!waiting) {
                waiting = true;
                backend.pollReady(pfd, Readiness.IN).onComplete(onReadable);
            }
        }

        private void readable(Integer bits, Throwable err) {
            waiting = false;
            Promise<Buffer> p = pending;
            if (p == null || closed) {
                expectData = true; // readiness nobody used: the next read tries recv first
                return;
            }
            if (err != null) {
                pending = null;
                p.setException(failed(err));
                return;
            }
            if ((bits & (Readiness.RDHUP | Readiness.HUP | Readiness.ERR)) != 0) {
                hungUp = true;
            }
            Buffer b;
            try {
                b = recvNow();
            } catch (RuntimeException e) {
                pending = null;
                p.setException(e);
                return;
            }
            if (b == null) {
                awaitReadable();
                return;
            }
            pending = null;
            p.setValue(b);
        }

        /** Completion path with a receive stream: data the backend received ahead is handed over as it is. */
        private Future<Buffer> readStream() {
            Future<Buffer> f = stream.read();
            if (f.isReady() && !f.getNow().isEmpty()) {
                return f;
            }
            Promise<Buffer> p = new Promise<>();
            pending = p;
            f.onComplete((b, err) -> streamRead(p, b, err));
            return p;
        }

        private void streamRead(Promise<Buffer> p, Buffer b, Throwable err) {
            if (pending != p || closed || eof) {
                if (b != null) {
                    b.release(); // the read was already answered (shut down or closed)
                }
                return;
            }
            if (err == null && b.isEmpty() && output.sendInFlight && output.error == null) {
                endAwaitsSend = true; // that send may have taken the reset this end stands for (sendSettled answers)
                return;
            }
            pending = null;
            if (err != null) {
                p.setException(failed(err));
            } else if (b.isEmpty()) {
                NetException reset = resetInsteadOfEnd();
                if (reset != null) {
                    p.setException(reset);
                    return;
                }
                eof = true;
                p.setValue(b);
            } else {
                p.setValue(b);
            }
        }

        /** Completion path: one recv owning its buffer until it completes. */
        private void submitRecv() {
            int size = readSize;
            Buffer b;
            try {
                b = Buffer.allocate(size);
            } catch (RuntimeException e) {
                Promise<Buffer> p = pending;
                pending = null;
                p.setException(e);
                return;
            }
            inFlight++;
            ops.recv(pfd, b.segment(), 0).onComplete((n, err) -> recvDone(b, size, n, err));
        }

        private void recvDone(Buffer b, int size, Integer n, Throwable err) {
            Promise<Buffer> p = pending;
            if (p == null || closed || eof) {
                b.release(); // the read was already answered (shut down or closed)
                opDone();
                return;
            }
            if (err != null) {
                b.release();
                if (NetErrors.isWouldBlock(err)) {
                    backend.pollReady(pfd, Readiness.IN).onComplete((bits, e2) -> {
                        opDone();
                        if (pending == p && !closed && !eof) {
                            if (e2 != null) {
                                pending = null;
                                p.setException(failed(e2));
                            } else {
                                submitRecv();
                            }
                        }
                    });
                    return;
                }
                pending = null;
                opDone();
                p.setException(failed(err));
                return;
            }
            opDone();
            if (n == 0) {
                b.release();
                if (output.sendInFlight && output.error == null) {
                    endAwaitsSend = true; // that send may have taken the reset this 0 stands for
                    return;
                }
                pending = null;
                NetException reset = resetInsteadOfEnd();
                if (reset != null) {
                    p.setException(reset);
                    return;
                }
                eof = true;
                p.setValue(Buffer.empty());
                return;
            }
            pending = null;
            if (n < size) {
                b.trim(n);
            }
            adapt(n, size);
            p.setValue(b);
        }

        @Override
        public Future<Void> close() {
            if (closed || eof) {
                eof = true;
                return Future.done();
            }
            eof = true;
            endAwaitsSend = false;
            if (stream != null) {
                stream.close();
            }
            try {
                Socket.shutdown(fd, Socket.SHUT_RD);
            } catch (ErrnoException e) {
                // ENOTCONN: the peer is gone already; reads end either way.
            }
            Promise<Buffer> p = pending;
            if (p != null) {
                pending = null;
                p.setValue(Buffer.empty());
            }
            return Future.done();
        }

        /** The socket closed: a pending read fails. */
        void closed() {
            endAwaitsSend = false;
            if (stream != null) {
                stream.close(); // drops data received and not read; forget then waits for the kernel
            }
            Promise<Buffer> p = pending;
            if (p != null) {
                pending = null;
                p.setException(new NetException.SocketClosed("read", remote));
            }
        }
    }

    // ================================================================ writing

    private final class Output implements OutputStream {
        /** Everything written and not yet taken by the kernel, in order. */
        private final Packet queue = Packet.empty();
        private long written;
        private long sent;
        /** A send is scheduled, waiting for readiness, or in flight. */
        private boolean sending;
        /** Completion path: a send or sendmsg is in the kernel and its completion has not been seen. */
        private boolean sendInFlight;
        private NetException error;
        private boolean closing;
        private boolean shut;
        /** Created by the first close: resolved once FIN is sent (after the queue drained). */
        private Outcome closeResult;
        private final ArrayDeque<Promise<Void>> writeWaiters = new ArrayDeque<>();
        private final ArrayDeque<Flush> flushes = new ArrayDeque<>();
        /** Completion path: the msghdr of the send in flight, grown as needed up to IOV_MAX iovecs. */
        private MsgHdr ownMessage;
        private final Runnable sendTask = this::send;
        private final BiConsumer<Integer, Throwable> onWritable = this::writable;
        private final BiConsumer<Integer, Throwable> onSent = this::sendDone;

        private record Flush(long upTo, Promise<Void> promise) {}

        @Override
        public Future<Void> write(Buffer data) {
            NetException refused = refusal();
            if (refused != null) {
                data.release();
                return Future.failed(refused);
            }
            written += data.length();
            queue.append(data);
            return queued();
        }

        @Override
        public Future<Void> write(Packet data) {
            NetException refused = refusal();
            if (refused != null) {
                data.release();
                return Future.failed(refused);
            }
            written += data.length();
            queue.append(data);
            return queued();
        }

        private NetException refusal() {
            if (error != null) {
                return error;
            }
            if (closed || closing) {
                return new NetException.SocketClosed("write", remote);
            }
            return null;
        }

        private Future<Void> queued() {
            scheduleSend();
            if (queue.length() <= PosixStack.SEND_QUEUE_LIMIT) {
                return Future.done();
            }
            Promise<Void> p = new Promise<>();
            writeWaiters.add(p);
            return p;
        }

        @Override
        public Future<Void> flush() {
            if (error != null) {
                return Future.failed(error);
            }
            if (sent == written) {
                return Future.done();
            }
            if (closed) {
                return Future.failed(new NetException.SocketClosed("flush", remote));
            }
            Promise<Void> p = new Promise<>();
            flushes.add(new Flush(written, p));
            scheduleSend();
            return p;
        }

        @Override
        public Future<Void> close() {
            if (closeResult != null) {
                return closeResult.future();
            }
            if (closed) {
                return Future.failed(new NetException.SocketClosed("close output", remote));
            }
            if (error != null) {
                return Future.failed(error);
            }
            closing = true;
            closeResult = new Outcome();
            if (!sending && queue.length() == 0) {
                shutWrite();
            }
            return closeResult.future();
        }

        private void scheduleSend() {
            if (!sending && queue.length() > 0) {
                sending = true;
                stack.reactor().schedule(sendTask);
            }
        }

        private void send() {
            if (closed) {
                sending = false;
                return;
            }
            if (ops != null) {
                submitSend();
                return;
            }
            while (queue.length() > 0) {
                long n;
                try {
                    n = sendNow();
                } catch (ErrnoException e) {
                    fail(NetErrors.map(e, remote, "write"));
                    return;
                }
                if (n < 0) {
                    backend.pollReady(pfd, Readiness.OUT).onComplete(onWritable);
                    return;
                }
                progress(n);
                if (Reactor.needPreempt() && queue.length() > 0) {
                    stack.reactor().schedule(sendTask); // let other work run; still sending
                    return;
                }
            }
            idle();
        }

        /** Readiness path: one send or sendmsg of the queue's head. @return bytes taken, or -1 on EAGAIN. */
        private long sendNow() {
            int count = queue.fragmentCount();
            if (count == 1) {
                Buffer f = queue.fragment(0);
                return Socket.send(fd, f.segment(), f.length(), 0);
            }
            MsgHdr m = stack.scratchMessage();
            fill(m, count);
            return Socket.sendmsg(fd, m, 0);
        }

        private void fill(MsgHdr m, int count) {
            int n = Math.min(count, m.capacity());
            m.reset();
            for (int i = 0; i < n; i++) {
                Buffer f = queue.fragment(i);
                m.setIov(i, f.segment(), 0, f.length());
            }
            m.setIovCount(n);
        }

        private void writable(Integer bits, Throwable err) {
            if (closed) {
                sending = false;
                return;
            }
            if (err != null) {
                fail(NetErrors.map(err, remote, "write"));
                return;
            }
            send();
        }

        /** Completion path: one send or sendmsg in flight, owning the fragments it names until it completes. */
        private void submitSend() {
            if (queue.length() == 0) {
                idle();
                return;
            }
            int count = queue.fragmentCount();
            inFlight++;
            sendInFlight = true;
            int zeroCopy = ops.zeroCopyThreshold();
            if (zeroCopy > 0 && queue.fragment(0).length() >= zeroCopy) {
                // The kernel reads this fragment until its notification, maybe after the queue dropped it: a view
                // of its own keeps the memory until then.
                Buffer held = queue.fragment(0).share();
                ops.sendZeroCopy(pfd, held.segment(), Socket.MSG_NOSIGNAL, held::release).onComplete(onSent);
                return;
            }
            if (count == 1) {
                ops.send(pfd, queue.fragment(0).segment(), Socket.MSG_NOSIGNAL).onComplete(onSent);
                return;
            }
            int want = Math.min(count, MsgHdr.IOV_MAX);
            if (ownMessage == null || ownMessage.capacity() < want) {
                if (ownMessage != null) {
                    ownMessage.close();
                }
                ownMessage = new MsgHdr(Math.min(MsgHdr.IOV_MAX, Math.max(16, Integer.highestOneBit(want - 1) << 1)));
            }
            fill(ownMessage, count);
            ops.sendmsg(pfd, ownMessage.segment(), Socket.MSG_NOSIGNAL).onComplete(onSent);
        }

        private void sendDone(Integer n, Throwable err) {
            sendInFlight = false;
            try {
                sendCompleted(n, err);
            } finally {
                input.sendSettled();
            }
        }

        private void sendCompleted(Integer n, Throwable err) {
            if (closed) {
                sending = false;
                opDone();
                return;
            }
            if (err != null) {
                if (NetErrors.isWouldBlock(err)) {
                    backend.pollReady(pfd, Readiness.OUT).onComplete((bits, e2) -> {
                        opDone();
                        writable(bits, e2);
                    });
                    return;
                }
                opDone();
                fail(NetErrors.map(err, remote, "write"));
                return;
            }
            opDone();
            progress(n);
            if (Reactor.needPreempt() && queue.length() > 0) {
                stack.reactor().schedule(sendTask);
                return;
            }
            submitSend();
        }

        /** The kernel took {@code n} bytes: drop them and answer the writes and flushes that now may proceed. */
        private void progress(long n) {
            queue.trimFront(n);
            sent += n;
            while (!flushes.isEmpty() && flushes.peekFirst().upTo() <= sent) {
                flushes.pollFirst().promise().setValue(null);
            }
            while (!writeWaiters.isEmpty() && queue.length() <= PosixStack.SEND_QUEUE_LIMIT) {
                writeWaiters.pollFirst().setValue(null);
            }
        }

        /** The queue is empty: stop sending, and finish a requested close. */
        private void idle() {
            sending = false;
            if (closing && !shut) {
                shutWrite();
            }
        }

        private void shutWrite() {
            shut = true;
            try {
                Socket.shutdown(fd, Socket.SHUT_WR);
            } catch (ErrnoException e) {
                if (e.errno() != Errno.ENOTCONN) {
                    fail(NetErrors.map(e, remote, "shutdown"));
                    return;
                }
            }
            closeResult.succeed();
        }

        /** A send failed: this connection's waiting writes, flushes and close fail; later ones too. */
        private void fail(NetException e) {
            sending = false;
            error = e;
            if (inFlight == 0) {
                queue.release();
            }
            failWaiters(e);
        }

        private void failWaiters(NetException e) {
            while (!writeWaiters.isEmpty()) {
                writeWaiters.pollFirst().setException(e);
            }
            while (!flushes.isEmpty()) {
                flushes.pollFirst().promise().setException(e);
            }
            if (closeResult != null) {
                closeResult.fail(e);
            }
        }

        /** The socket closed: everything waiting fails; the memory goes once no operation owns it. */
        void closed() {
            failWaiters(new NetException.SocketClosed("write", remote));
        }

        /** Releases queued data and the msghdr; only when no operation in flight refers to them. */
        void releaseMemory() {
            queue.release();
            if (ownMessage != null) {
                ownMessage.close();
                ownMessage = null;
            }
        }
    }
}
