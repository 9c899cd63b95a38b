package io.percore.core.sync;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import java.util.Objects;

/**
 * A one-shot "stop now" signal on one shard: long-running work {@linkplain #subscribe(Runnable) subscribes} a
 * callback or {@linkplain #throwIfAborted() checks} between steps, and whoever decides that the work must stop
 * (a shutdown, a client that went away) calls {@link #requestAbort()}. Seastar's {@code abort_source}.
 *
 * <p>The first request wins: it records its reason and runs every subscribed callback once, in subscription
 * order, synchronously, before it returns; later requests change nothing. A callback subscribed after the abort
 * runs at once, inside {@link #subscribe}. Callbacks should only start the stop (fail a promise, close a
 * socket) and return; they must not throw. If one does, the rest still run and the first exception is
 * rethrown from {@code requestAbort} with the others suppressed.
 *
 * <p>Shard-local: build and use it on one shard thread; with {@code -ea} another thread's touch throws
 * {@link AssertionError}. To abort from another shard, send the request to this one. No locks, no atomics.
 */
public final class AbortSource {
    private final Reactor owner = ShardLocal.owner();
    private final WaitList<Subscription> subscribers = new WaitList<>();
    private Throwable reason;

    /**
     * A subscribed callback; {@link #unsubscribe()} (or {@link #close()}) removes it so it will not run.
     * Owner shard of its source only.
     */
    public static final class Subscription extends WaitList.Node<Subscription> implements AutoCloseable {
        private final AbortSource source;
        private final Runnable callback;

        private Subscription(AbortSource source, Runnable callback) {
            this.source = source;
            this.callback = callback;
        }

        /**
         * Removes the callback; it will not run. Idempotent, and harmless after the callback ran.
         *
         * @return true when this call removed a callback that had not run
         */
        public boolean unsubscribe() {
            assert ShardLocal.isOwner(source.owner, source);
            return source.subscribers.remove(this);
        }

        /** @return true while the callback is subscribed and has not run. */
        public boolean isActive() {
            assert ShardLocal.isOwner(source.owner, source);
            return isLinked();
        }

        /** Same as {@link #unsubscribe()}. */
        @Override
        public void close() {
            unsubscribe();
        }
    }

    /** Creates an abort source that has not been aborted. The calling shard owns it. */
    public AbortSource() {}

    /**
     * Registers {@code callback} to run once when an abort is requested. Owner shard only.
     *
     * @return its subscription; when an abort was already requested the callback has run before this returns and
     * the subscription is inactive
     */
    public Subscription subscribe(Runnable callback) {
        assert ShardLocal.isOwner(owner, this);
        Subscription s = new Subscription(this, Objects.requireNonNull(callback, "callback"));
        if (reason != null) {
            callback.run();
        } else {
            subscribers.addLast(s);
        }
        return s;
    }

    /** Requests an abort with an {@link AbortRequestedException} as reason. Owner shard only. */
    public void requestAbort() {
        requestAbort(new AbortRequestedException());
    }

    /**
     * Requests an abort: the first call records {@code reason} and runs every subscribed callback once, in
     * subscription order; later calls do nothing. Owner shard only.
     *
     * @throws RuntimeException or Error: the first one a callback threw, after all callbacks ran
     */
    public void requestAbort(Throwable reason) {
        assert ShardLocal.isOwner(owner, this);
        Objects.requireNonNull(reason, "reason");
        if (this.reason != null) {
            return;
        }
        // Recorded first: a callback that subscribes or checks sees the source as aborted.
        this.reason = reason;
        Throwable first = null;
        Subscription s;
        while ((s = subscribers.pollFirst()) != null) {
            try {
                s.callback.run();
            } catch (Throwable t) {
                if (first == null) {
                    first = t;
                } else {
                    first.addSuppressed(t);
                }
            }
        }
        if (first instanceof RuntimeException e) {
            throw e;
        }
        if (first instanceof Error e) {
            throw e;
        }
        if (first != null) {
            throw new IllegalStateException("abort callback failed", first);
        }
    }

    /** @return true once an abort was requested. Owner shard only. */
    public boolean isAbortRequested() {
        assert ShardLocal.isOwner(owner, this);
        return reason != null;
    }

    /** @return the reason of the abort, or null when none was requested. Owner shard only. */
    public Throwable reason() {
        assert ShardLocal.isOwner(owner, this);
        return reason;
    }

    /**
     * Returns quietly when no abort was requested. Owner shard only.
     *
     * @throws AbortRequestedException when one was: the reason itself when it is one, else a new one with the
     * reason as its cause
     */
    public void throwIfAborted() {
        assert ShardLocal.isOwner(owner, this);
        if (reason != null) {
            throw reason instanceof AbortRequestedException a ? a : new AbortRequestedException(reason);
        }
    }

    /**
     * Races {@code future} against an abort. The result has {@code future}'s outcome when it comes first, or
     * fails with the abort reason as soon as an abort is requested first (at once when one was requested
     * already, even if {@code future} is done). The operation behind {@code future} is not stopped by this; its
     * late outcome is dropped and a late failure counts as observed, so it is not reported as ignored. This takes
     * {@code future}'s one continuation. Owner shard only.
     */
    public <T> Future<T> abortable(Future<T> future) {
        assert ShardLocal.isOwner(owner, this);
        if (reason != null) {
            future.ignoreFailure();
            return Future.failed(reason);
        }
        if (future.isDone()) {
            return future;
        }
        Promise<T> result = new Promise<>();
        Subscription s = subscribe(() -> result.trySetException(reason));
        future.onComplete((v, e) -> {
            s.unsubscribe();
            if (e == null) {
                result.trySetValue(v);
            } else {
                result.trySetException(e);
            }
        });
        return result;
    }

    @Override
    public String toString() {
        return reason == null ? "AbortSource[" + subscribers.size() + " subscriber(s)]"
                : "AbortSource[aborted: " + reason + "]";
    }
}
