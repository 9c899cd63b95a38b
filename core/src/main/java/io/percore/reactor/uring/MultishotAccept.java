package io.percore.reactor.uring;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.reactor.FdClosedException;
import io.percore.reactor.PollableFd;
import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;
import java.util.Arrays;

/**
 * Connections accepted by one multishot IORING_OP_ACCEPT on a listening socket (Linux 5.19): the kernel accepts
 * each connection as it arrives and posts its descriptor, with no submission per connection. Descriptors the
 * application has not asked for yet wait in a queue; when it holds {@value #QUEUE_LIMIT} the accept is cancelled
 * (the kernel's backlog holds further connections) and re-armed once the application has taken half of them.
 *
 * <p>The kernel writes no peer address for multishot accepts (one buffer cannot serve many completions), so
 * callers use getpeername(2). An error ends the kernel's multishot; it is handed to the next {@link #accept()},
 * and the accept is re-armed after that, so a persistent error (EMFILE) costs one submission per call, not a loop.
 *
 * <p>Made by {@link IoUringBackend#acceptMultishot}; used on its shard thread only. Forgetting the listener
 * ends it: waiting and later calls fail with {@link FdClosedException}, queued descriptors are closed.
 */
public final class MultishotAccept implements AutoCloseable {
    /** Descriptors queued before the accept pauses. */
    public static final int QUEUE_LIMIT = 64;

    private final IoUringBackend backend;
    private final PollableFd listener;
    private final int flags;
    private int[] queue = new int[16];
    private int queueHead;
    private int queued;
    private Promise<Integer> waiter;
    private Throwable failure;
    /** The armed multishot operation, or null between arms. */
    private PendingOp op;
    /** The armed operation is being cancelled because the queue is full. */
    private boolean pausing;
    /** Why it ended (closed, listener forgotten, backend closed); null while it runs. */
    private Throwable ended;

    MultishotAccept(IoUringBackend backend, PollableFd listener, int flags) {
        this.backend = backend;
        this.listener = listener;
        this.flags = flags;
        rearmIfNeeded();
    }

    /**
     * @return the next accepted descriptor, owned by the caller; fails with the accept's
     *         {@link ErrnoException}, or {@link FdClosedException} once the listener is forgotten
     * @throws IllegalStateException (in the future) when another accept is still pending
     */
    public Future<Integer> accept() {
        if (queued > 0) {
            int fd = queue[queueHead];
            queueHead = (queueHead + 1) % queue.length;
            queued--;
            rearmIfNeeded();
            return Future.ready(fd);
        }
        if (failure != null) {
            Throwable f = failure;
            failure = null;
            rearmIfNeeded();
            return Future.failed(f);
        }
        if (ended != null) {
            return Future.failed(ended);
        }
        if (waiter != null) {
            return Future.failed(new IllegalStateException("an accept is already pending on " + listener));
        }
        Promise<Integer> p = new Promise<>();
        waiter = p;
        rearmIfNeeded();
        return p;
    }

    /** @return descriptors accepted and not yet taken. */
    public int queued() {
        return queued;
    }

    /** @return true while a multishot accept is armed in the kernel (not paused, not ended). */
    public boolean isArmed() {
        return op != null && !pausing;
    }

    private void rearmIfNeeded() {
        if (op == null && ended == null && failure == null && queued <= QUEUE_LIMIT / 2) {
            op = backend.armMultishotAccept(this, listener, flags);
            if (op == null) {
                end(new FdClosedException(listener));
            }
        }
    }

    /** A completion of the armed operation; {@code more} false means the kernel has let it go. */
    void onCompletion(PendingOp from, int result, boolean more) {
        assert from == op : "completion of a multishot accept that is no longer armed";
        if (!more) {
            op = null;
        }
        if (result >= 0) {
            if (waiter != null) {
                Promise<Integer> w = waiter;
                waiter = null;
                w.setValue(result);
            } else {
                enqueue(result);
            }
        } else if (!(result == -Errno.ECANCELED && pausing)) {
            ErrnoException e = new ErrnoException(-result, "io_uring ACCEPT (multishot)", listener.toString());
            if (waiter != null) {
                Promise<Integer> w = waiter;
                waiter = null;
                w.setException(e);
            } else if (failure == null) {
                failure = e;
            }
        }
        if (!more) {
            pausing = false;
            rearmIfNeeded();
        } else if (queued >= QUEUE_LIMIT && !pausing) {
            pausing = true;
            backend.cancel(op);
        }
    }

    private void enqueue(int fd) {
        if (queued == queue.length) {
            int[] bigger = new int[queue.length * 2];
            for (int i = 0; i < queued; i++) {
                bigger[i] = queue[(queueHead + i) % queue.length];
            }
            queue = bigger;
            queueHead = 0;
        }
        queue[(queueHead + queued) % queue.length] = fd;
        queued++;
    }

    /** The listener was forgotten: its operations are already cancelled and waited for. */
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
        while (queued > 0) {
            IoUringBackend.closeQuietly(queue[queueHead]);
            queueHead = (queueHead + 1) % queue.length;
            queued--;
        }
        Arrays.fill(queue, -1);
        if (waiter != null) {
            Promise<Integer> w = waiter;
            waiter = null;
            w.setException(cause);
        }
    }

    /**
     * Stops accepting: cancels the kernel's accept (connections it still completes are closed), closes queued
     * descriptors, and fails a waiting {@link #accept()} with {@link IllegalStateException}. Idempotent.
     */
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
        end(new IllegalStateException("multishot accept on " + listener + " was closed"));
    }
}
