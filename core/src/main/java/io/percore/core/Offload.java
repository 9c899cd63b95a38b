package io.percore.core;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a blocking call (a libc DNS lookup, {@code Files.readAllBytes}, a JDBC driver) on a small pool of helper
 * threads and completes a {@link Future} back on the calling shard — what Seastar users asked for in
 * seastar#2763. The shard never blocks; the helper threads are not pinned and share the process's CPUs.
 *
 * <p>The pool has {@code percore.offload.threads} threads (system property; default 2), created on first use,
 * daemon, named {@code percore-offload-N}.
 */
public final class Offload {
    private Offload() {}

    private static final class Pool {
        static final ExecutorService EXECUTOR;

        static {
            int n = Integer.getInteger("percore.offload.threads", 2);
            AtomicInteger ids = new AtomicInteger();
            ThreadPoolExecutor tpe = new ThreadPoolExecutor(n, n, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                    r -> {
                        Thread t = new Thread(r, "percore-offload-" + ids.getAndIncrement());
                        t.setDaemon(true);
                        return t;
                    });
            tpe.allowCoreThreadTimeOut(true);
            EXECUTOR = tpe;
        }
    }

    /**
     * Runs {@code call} on a helper thread.
     *
     * @return a future on the calling shard with the call's result or exception
     * @throws IllegalStateException off a shard thread
     */
    public static <T> Future<T> run(Callable<T> call) {
        Reactor reactor = Reactor.current();
        if (reactor == null) {
            throw new IllegalStateException("offload needs a shard thread to complete on");
        }
        Promise<T> promise = new Promise<>();
        try {
            Pool.EXECUTOR.execute(() -> {
                T value = null;
                Throwable error = null;
                try {
                    value = call.call();
                } catch (Throwable t) {
                    error = t;
                }
                T v = value;
                Throwable e = error;
                try {
                    reactor.execute(() -> {
                        if (e == null) {
                            promise.setValue(v);
                        } else {
                            promise.setException(e);
                        }
                    });
                } catch (RejectedExecutionException stopped) {
                    // The shard stopped while the call ran: nobody is left to take the result.
                }
            });
        } catch (RejectedExecutionException e) {
            promise.setException(e);
        }
        return promise;
    }
}
