package io.percore.reactor.uring;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.memory.Buffer;
import io.percore.reactor.FdClosedException;
import io.percore.reactor.PollableFd;
import io.percore.reactor.ReceiveStream;
import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;
import io.percore.sys.IoUringOpcode;
import io.percore.sys.IoUringSqe;
import java.util.ArrayDeque;

/**
 * A connection's input received by one multishot IORING_OP_RECV (Linux 6.0) into the shard's
 * {@link BufferRing}: each completion brings one filled ring buffer, handed to the reader as it is.
 *
 * <p><b>One receive at a time.</b> At most one receive is in the kernel for the socket: the multishot one, or,
 * when the ring ran dry while a reader waits, one single-shot RECV into a pool buffer of the same size. So data
 * arrives in order without sequence numbers.
 *
 * <p><b>Re-arming.</b> The kernel ends a multishot receive (a completion without CQE_F_MORE) at end of stream,
 * on an error, when the ring is empty (ENOBUFS), or when it chooses to (overflow). Data and ordinary endings
 * re-arm at once. After ENOBUFS the stream waits in the ring's list: the next poll re-arms it if buffers came
 * back (the reader released them in between), and if the ring is still empty while a reader waits (the
 * application holds every buffer), it falls back to the single-shot receive so that the reader never waits on
 * buffers only it can return.
 *
 * <p><b>Back-pressure.</b> Data received ahead of the reader queues here. Once the queue holds
 * {@link #QUEUE_LIMIT_BYTES} or a quarter of the ring's buffers, the receive is cancelled and the rest stays in
 * the socket, where TCP's window slows the sender; it is re-armed when the reader has taken half.
 *
 * <p>Shard thread only.
 */
final class MultishotRecv implements ReceiveStream {
    /** Unread bytes at which receiving pauses. */
    static final long QUEUE_LIMIT_BYTES = 256 << 10;

    private final IoUringBackend backend;
    private final BufferRing buffers;
    private final PollableFd fd;
    private final int queueLimitBuffers;
    private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
    private long queuedBytes;
    private Promise<Buffer> waiter;
    /** End of stream ({@link Buffer#empty()}) or the socket's error, read after the queued data. */
    private Object terminal;
    /** The armed multishot receive, or null. */
    private PendingOp op;
    /** The armed receive is being cancelled because the queue is full. */
    private boolean pausing;
    /** A single-shot fallback receive is in the kernel: its op and promise (to cancel only that op). */
    private PendingOp singleOp;
    private Promise<Integer> singlePromise;
    private boolean waitingForBuffers;
    /** Why the stream ended (closed, descriptor forgotten, backend closed); null while it runs. */
    private Throwable ended;

    private int arms;
    private int noBuffers;
    private int fallbacks;
    private int pauses;

    MultishotRecv(IoUringBackend backend, BufferRing buffers, PollableFd fd) {
        this.backend = backend;
        this.buffers = buffers;
        this.fd = fd;
        this.queueLimitBuffers = Math.max(2, buffers.count() / 4);
    }

    @Override
    public Future<Buffer> read() {
        if (ended != null) {
            return Future.failed(ended);
        }
        Buffer b = queue.poll();
        if (b != null) {
            queuedBytes -= b.length();
            resume();
            return Future.ready(b);
        }
        if (terminal != null) {
            return terminal instanceof Throwable t ? Future.failed(t) : Future.ready(Buffer.empty());
        }
        if (waiter != null) {
            return Future.failed(new IllegalStateException("a read is already pending on " + fd));
        }
        Promise<Buffer> p = new Promise<>();
        waiter = p;
        if (op == null && singlePromise == null && !waitingForBuffers) {
            if (buffers.available() > 0) {
                arm();
            } else {
                waitForBuffers(); // with a reader waiting: re-armed, or given a fallback, at the next poll
            }
        }
        return p;
    }

    @Override
    public long queuedBytes() {
        return queuedBytes;
    }

    /** Re-arms after a pause or a final completion, unless the queue is still too full or the ring empty. */
    private void resume() {
        if (op != null || singlePromise != null || waitingForBuffers || terminal != null || ended != null) {
            return;
        }
        if (queuedBytes > QUEUE_LIMIT_BYTES / 2 || queue.size() > queueLimitBuffers / 2) {
            return;
        }
        if (buffers.available() > 0) {
            arm();
        } else {
            waitForBuffers();
        }
    }

    private void arm() {
        op = backend.armMultishotRecv(this, fd);
        if (op == null) {
            end(new FdClosedException(fd));
            return;
        }
        arms++;
    }

    private void waitForBuffers() {
        waitingForBuffers = true;
        buffers.await(this);
    }

    /** The ring has buffers again (called by {@link BufferRing#service()}). */
    void buffersAvailable() {
        if (!waitingForBuffers) {
            return;
        }
        waitingForBuffers = false;
        resume();
    }

    /** The ring stays empty while a reader waits (called by {@link BufferRing#service()}): receive into the pool. */
    void fallbackNow() {
        if (waitingForBuffers && waiter != null && ended == null) {
            fallback();
        }
    }

    /** @return true while this stream waits in the ring's list. */
    boolean isWaitingForBuffers() {
        return waitingForBuffers;
    }

    /** @return true while a reader waits for data. */
    boolean hasReader() {
        return waiter != null;
    }

    /** One single-shot RECV into a pool buffer: the ring is empty and a reader waits. */
    private void fallback() {
        waitingForBuffers = false; // its entry in the ring's list is skipped when serviced
        Buffer b;
        try {
            b = Buffer.allocate(buffers.bufferSize());
        } catch (RuntimeException e) {
            failWaiter(e);
            return;
        }
        long sqe = backend.sqe();
        PendingOp single = backend.startOnFd(fd, sqe, IoUringOpcode.RECV, b, null);
        if (single == null) {
            b.release();
            end(new FdClosedException(fd));
            return;
        }
        fallbacks++;
        IoUringSqe.recv(backend.sqes(), sqe, fd.fd(), b.segment().address(), b.length(), 0, single.userData);
        Promise<Integer> p = single.promise;
        singleOp = single;
        singlePromise = p;
        p.onComplete((n, err) -> fallbackDone(p, b, n, err));
    }

    private void fallbackDone(Promise<Integer> p, Buffer b, Integer n, Throwable err) {
        if (singlePromise == p) {
            singleOp = null;
            singlePromise = null;
        }
        if (ended != null) {
            b.release();
            return;
        }
        if (err != null) {
            b.release();
            if (err instanceof FdClosedException fce) {
                end(fce);
            } else if (err instanceof ErrnoException e && (e.errno() == Errno.EAGAIN || e.errno() == Errno.ECANCELED)) {
                resume();
            } else {
                finish(err);
            }
            return;
        }
        if (n == 0) {
            b.release();
            finish(Buffer.empty());
            return;
        }
        b.trim(n);
        deliver(b);
        resume();
    }

    /** A completion of the armed receive; {@code data} is the ring buffer it filled, or null. */
    void onCompletion(PendingOp from, int result, boolean more, Buffer data) {
        assert from == op : "completion of a multishot receive that is no longer armed";
        if (!more) {
            op = null;
        }
        boolean dry = false;
        if (data != null) {
            deliver(data);
        } else if (result == 0) {
            finish(Buffer.empty());
        } else if (result == -Errno.ENOBUFS) {
            noBuffers++;
            dry = true;
        } else if (result < 0 && !(result == -Errno.ECANCELED && pausing)) {
            finish(new ErrnoException(-result, "io_uring RECV (multishot)", fd.toString()));
        } else if (result > 0) {
            finish(new IllegalStateException("multishot receive of " + result + " bytes without a buffer on " + fd));
        }
        if (!more) {
            pausing = false;
            if (dry && ended == null && terminal == null) {
                // Decided at the next poll, not here: completions are also reaped inside forget's wait, where
                // allocating a fallback buffer does not belong, and buffers may come back before then.
                waitForBuffers();
            } else {
                resume();
            }
        } else if (!pausing && (queuedBytes >= QUEUE_LIMIT_BYTES || queue.size() >= queueLimitBuffers)) {
            pausing = true;
            pauses++;
            backend.cancel(op);
        }
    }

    private void deliver(Buffer data) {
        if (waiter != null && queue.isEmpty()) {
            Promise<Buffer> w = waiter;
            waiter = null;
            w.setValue(data);
        } else {
            queue.add(data);
            queuedBytes += data.length();
        }
    }

    /** End of stream or an error: after the queued data, reads get it. */
    private void finish(Object end) {
        if (terminal == null) {
            terminal = end;
        }
        if (waiter != null && queue.isEmpty()) {
            Promise<Buffer> w = waiter;
            waiter = null;
            if (terminal instanceof Throwable t) {
                w.setException(t);
            } else {
                w.setValue(Buffer.empty());
            }
        }
    }

    private void failWaiter(Throwable t) {
        if (waiter != null) {
            Promise<Buffer> w = waiter;
            waiter = null;
            w.setException(t);
        }
    }

    /** The descriptor was forgotten: its operations are already cancelled and waited for. */
    void onForgotten(FdClosedException cause) {
        op = null;
        end(cause);
    }

    /** The backend closed. */
    void onClosed(IllegalStateException cause) {
        op = null;
        end(cause);
    }

    private void end(Throwable cause) {
        if (ended == null) {
            ended = cause;
        }
        waitingForBuffers = false;
        Buffer b;
        while ((b = queue.poll()) != null) {
            b.release();
        }
        queuedBytes = 0;
        failWaiter(cause);
    }

    @Override
    public void close() {
        if (ended != null) {
            return;
        }
        if (op != null) {
            backend.markCancelled(op);
            backend.cancel(op);
            op = null;
        }
        if (singleOp != null && singleOp.inUse && singleOp.promise == singlePromise) {
            backend.cancel(singleOp); // its completion fails the promise with ECANCELED; the buffer is released then
        }
        end(new IllegalStateException("the receive stream on " + fd + " was closed"));
    }

    /** @return true while a multishot receive is armed (not pausing). */
    boolean isArmed() {
        return op != null && !pausing;
    }

    /** @return buffers received and not read. */
    int queuedBuffers() {
        return queue.size();
    }

    /** @return multishot receives submitted so far (the first arm and every re-arm). */
    int arms() {
        return arms;
    }

    /** @return times the ring was empty (ENOBUFS). */
    int noBuffers() {
        return noBuffers;
    }

    /** @return single-shot receives made because the ring was empty while a reader waited. */
    int fallbacks() {
        return fallbacks;
    }

    /** @return times receiving paused because the reader fell behind. */
    int pauses() {
        return pauses;
    }

    @Override
    public String toString() {
        return "multishot receive on " + fd + " (" + queue.size() + " buffers, " + queuedBytes + " bytes queued"
                + (op != null ? pausing ? ", pausing" : ", armed" : "") + (waitingForBuffers ? ", waiting for buffers" : "")
                + ")";
    }
}
