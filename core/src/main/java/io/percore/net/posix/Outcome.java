package io.percore.net.posix;

import io.percore.core.Future;
import io.percore.core.Promise;
import java.util.ArrayDeque;

/**
 * The outcome of something that finishes once (an output's close, a socket's release), which any number of
 * callers may wait for: each {@link #future()} is a future of its own, since a pending future takes only one
 * continuation. Shard-local.
 */
final class Outcome {
    private ArrayDeque<Promise<Void>> waiting;
    private boolean done;
    private Throwable failure;

    /** @return a future of the outcome: ready or failed when known, else resolved when it is. */
    Future<Void> future() {
        if (done) {
            return failure == null ? Future.done() : Future.failed(failure);
        }
        if (waiting == null) {
            waiting = new ArrayDeque<>(2);
        }
        Promise<Void> p = new Promise<>();
        waiting.add(p);
        return p;
    }

    /** @return true once it succeeded or failed. */
    boolean isDone() {
        return done;
    }

    /** Records success and resolves every waiter; ignored when already done. */
    void succeed() {
        finish(null);
    }

    /** Records failure and fails every waiter; ignored when already done. */
    void fail(Throwable e) {
        finish(e);
    }

    private void finish(Throwable e) {
        if (done) {
            return;
        }
        done = true;
        failure = e;
        if (waiting != null) {
            for (Promise<Void> p; (p = waiting.pollFirst()) != null; ) {
                if (e == null) {
                    p.setValue(null);
                } else {
                    p.setException(e);
                }
            }
        }
    }
}
