package io.percore.core;

import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports failed futures that were dropped without anyone looking at their failure (Seastar's "exceptional
 * future ignored"). A failed future nobody waits for is tracked by a phantom reference; when the collector finds
 * the future unreachable and the failure still unobserved, a daemon thread reports it.
 *
 * <p>Only the failure path pays for this (a concurrent set insert and remove), never a successful future.
 */
public final class IgnoredFailures {
    private static final Logger LOG = LoggerFactory.getLogger(IgnoredFailures.class);
    private static final ReferenceQueue<Future<?>> QUEUE = new ReferenceQueue<>();
    private static final Set<Tracked> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile Consumer<Throwable> handler = IgnoredFailures::log;

    static {
        Thread reporter = new Thread(IgnoredFailures::reportLoop, "percore-ignored-failures");
        reporter.setDaemon(true);
        reporter.start();
    }

    private IgnoredFailures() {}

    static final class Tracked extends PhantomReference<Future<?>> {
        final Throwable error;
        final String shard;

        Tracked(Future<?> future, Throwable error) {
            super(future, QUEUE);
            this.error = error;
            Shard s = Shard.current();
            this.shard = s == null ? Thread.currentThread().getName() : "shard " + s.shardId();
        }
    }

    static Tracked track(Future<?> future, Throwable error) {
        Tracked t = new Tracked(future, error);
        LIVE.add(t);
        return t;
    }

    static void untrack(Tracked t) {
        LIVE.remove(t);
        t.clear();
    }

    /**
     * Replaces what happens to an ignored failure (default: a WARN log line with its stack trace).
     * Tests use it to see reports. Any thread.
     */
    public static void setHandler(Consumer<Throwable> newHandler) {
        handler = newHandler == null ? IgnoredFailures::log : newHandler;
    }

    private static void log(Throwable error) {
        LOG.warn("Exceptional future ignored: {}", error.toString(), error);
    }

    private static void reportLoop() {
        while (true) {
            try {
                Tracked t = (Tracked) QUEUE.remove();
                if (LIVE.remove(t)) {
                    handler.accept(t.error);
                }
            } catch (InterruptedException e) {
                return;
            } catch (Throwable t) {
                LOG.error("ignored-failure handler threw", t);
            }
        }
    }
}
