package io.percore.sys;

import java.util.concurrent.atomic.AtomicReference;

/** Runs test code on a fresh platform thread, so per-thread state it changes (affinity) dies with it. */
final class OnThread {
    private OnThread() {}

    interface Body {
        void run() throws Exception;
    }

    /** Runs {@code body} on a new thread, waits for it, and rethrows whatever it threw (assertion failures included). */
    static void run(Body body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().name("sys-test").start(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.join();
        Throwable e = failure.get();
        if (e instanceof Exception ex) {
            throw ex;
        }
        if (e instanceof Error err) {
            throw err;
        }
    }
}
