package io.percore.core;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import jdk.internal.vm.ContinuationScope;

/**
 * Straight-line asynchronous code — the JVM's answer to Seastar's {@code co_await}. Inside
 * {@link #run(Callable)}, {@link #await(Future)} suspends the body until the future is done and returns its
 * value, without blocking the shard: the shard runs other tasks meanwhile, and the body resumes as a task on
 * the same shard thread.
 *
 * <pre>{@code
 * Future<Integer> total = Async.run(() -> {
 *     int a = Async.await(fetch("a"));
 *     Async.await(Timer.sleep(Duration.ofMillis(1)));
 *     return a + Async.await(fetch("b"));
 * });
 * }</pre>
 *
 * <p><b>Why JDK continuations.</b> A virtual thread would run the body on a carrier thread of the JDK's
 * scheduler, not on the shard, and JDK 25 offers no public way to give virtual threads a custom scheduler.
 * The JDK's own one-shot delimited continuation ({@code jdk.internal.vm.Continuation}, the engine under virtual
 * threads) runs the body on the calling thread and suspends it in place, so every line stays on the shard and
 * may touch the shard's objects. It needs {@code --add-exports java.base/jdk.internal.vm=ALL-UNNAMED}, which
 * the launcher and the build pass. Each body allocates one continuation (its stack grows on the heap as
 * needed); an await on a ready future costs no suspension at all. A body must not await while holding a
 * monitor ({@code synchronized}) or inside a native frame: the JDK refuses to suspend ("pinned") and
 * {@link #await} throws {@link IllegalStateException}. Measured costs are in docs/BENCHMARKS.md.
 */
public final class Async {
    private static final ContinuationScope SCOPE = new ContinuationScope("percore-async");

    private Async() {}

    /** One running body: the JDK continuation and the body it was suspended in (for nesting). */
    private static final class Body implements Runnable {
        final jdk.internal.vm.Continuation continuation;
        Body outer;

        Body(Runnable code) {
            this.continuation = new jdk.internal.vm.Continuation(SCOPE, code);
        }

        /** Mounts the continuation on this thread until it awaits something pending or finishes. */
        @Override
        public void run() {
            Reactor r = Reactor.current();
            outer = (Body) r.asyncBody;
            r.asyncBody = this;
            try {
                continuation.run();
            } finally {
                r.asyncBody = outer;
            }
        }
    }

    /**
     * Runs {@code body} now, on the calling shard, until its first await of a pending future.
     *
     * @return a future of the body's value or exception
     * @throws IllegalStateException off a shard thread
     */
    public static <T> Future<T> run(Callable<T> body) {
        if (Reactor.current() == null) {
            throw new IllegalStateException("Async.run needs a shard thread");
        }
        Promise<T> result = new Promise<>();
        Body b = new Body(() -> {
            T value;
            try {
                value = body.call();
            } catch (Throwable t) {
                result.setException(t);
                return;
            }
            result.setValue(value);
        });
        b.run();
        return result;
    }

    /**
     * @return the future's value, suspending the current body until it is done
     * @throws RuntimeException the future's failure as is when unchecked, else wrapped in CompletionException
     * @throws IllegalStateException outside {@link #run} (awaiting there would block the shard), or when pinned
     */
    public static <T> T await(Future<T> future) {
        if (future.state == Future.PENDING) {
            Reactor r = Reactor.current();
            Body body = r == null ? null : (Body) r.asyncBody;
            if (body == null) {
                throw new IllegalStateException("Async.await outside Async.run would block the shard; "
                        + "use Async.run(...) or continue with map/flatMap");
            }
            future.onComplete((v, e) -> body.run());
            if (!jdk.internal.vm.Continuation.yield(SCOPE)) {
                throw new IllegalStateException("Async.await could not suspend (pinned by a monitor or native frame)");
            }
        }
        if (future.state == Future.VALUE) {
            @SuppressWarnings("unchecked")
            T v = (T) future.result;
            return v;
        }
        Throwable t = future.failure();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        throw new CompletionException(t);
    }

    /** Suspends the body for {@code delay}. */
    public static void sleep(Duration delay) {
        await(Timer.sleep(delay));
    }

    /** Suspends the body until later in this turn's queue when the task quota has run out. */
    public static void maybeYield() {
        Future<Void> y = Reactor.maybeYield();
        if (!y.isDone()) {
            await(y);
        }
    }
}
