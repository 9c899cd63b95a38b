package io.percore.core;

import io.percore.memory.MemoryPool;
import io.percore.reactor.ReactorBackend;
import io.percore.reactor.ReactorBackends;
import io.percore.sys.Affinity;
import io.percore.sys.Numa;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A shard: one thread, pinned to one CPU, that owns a {@link Reactor} and everything the reactor's tasks
 * create. Code finds its shard with {@link #current()}; nothing a shard owns is touched by another thread.
 */
public final class Shard extends Thread {
    private final int shardId;
    private final int cpu;
    private final ReactorConfig config;
    private final Consumer<Reactor> init;
    private final CompletableFuture<Reactor> ready = new CompletableFuture<>();
    volatile Reactor reactor;
    private MemoryPool pool;

    private Shard(int shardId, int cpu, ReactorConfig config, Consumer<Reactor> init) {
        super("shard-" + shardId);
        this.shardId = shardId;
        this.cpu = cpu;
        this.config = config;
        this.init = init;
        setDaemon(false);
    }

    /**
     * Starts a shard thread, pins it to {@code cpu} (none when negative), builds its reactor and backend on it,
     * runs {@code init} there (to register pollers), and returns once the reactor is about to loop.
     * Any non-shard thread.
     *
     * @throws IllegalStateException when the shard could not start (the cause says why: pinning, backend…)
     */
    public static Shard start(int shardId, int cpu, ReactorConfig config, Consumer<Reactor> init) {
        Shard s = new Shard(shardId, cpu, config, init);
        s.start();
        try {
            s.ready.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("shard " + shardId + " failed to start: " + e.getCause().getMessage(),
                    e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException("shard " + shardId + " did not start", e);
        }
        return s;
    }

    @Override
    public void run() {
        Reactor r;
        ReactorBackend backend = null;
        try {
            if (cpu >= 0) {
                Affinity.pinTo(cpu);
            }
            // The pool's memory is bound to this CPU's NUMA node, so the shard allocates where it runs.
            int node = cpu >= 0 && Numa.nodeCount() > 1 ? Numa.nodeOfCpu(cpu) : -1;
            pool = new MemoryPool(shardId, config.memoryPerShard(), node);
            pool.bindToCurrentThread();
            backend = ReactorBackends.create(config.backend());
            r = new Reactor(shardId, config, backend);
            reactor = r;
            MemoryPool p = pool;
            r.addPoller(() -> p.drainRemoteFrees() > 0);
            if (init != null) {
                init.accept(r);
            }
        } catch (Throwable t) {
            // The loop will not run, so nobody else would close the backend's descriptors.
            if (backend != null) {
                try {
                    backend.close();
                } catch (Throwable closeError) {
                    t.addSuppressed(closeError);
                }
            }
            if (pool != null) {
                pool.close();
            }
            ready.completeExceptionally(t);
            return;
        }
        ready.complete(r);
        try {
            r.run();
        } finally {
            pool.close();
        }
    }

    /** @return this shard's memory pool. Shard thread only. */
    public MemoryPool memoryPool() {
        return pool;
    }

    /** @return the shard of the calling thread, or null when it is not a shard thread. */
    public static Shard current() {
        return Thread.currentThread() instanceof Shard s ? s : null;
    }

    /** @return the calling shard's id, or -1 off-shard. */
    public static int currentId() {
        return Thread.currentThread() instanceof Shard s ? s.shardId : -1;
    }

    /** @return this shard's id, 0-based. */
    public int shardId() {
        return shardId;
    }

    /** @return the CPU it is pinned to, or -1. */
    public int cpu() {
        return cpu;
    }

    /** @return its reactor. */
    public Reactor reactor() {
        return reactor;
    }

    /** Asks the reactor to stop and waits for the thread to end. Any thread but this shard's. */
    public boolean stopAndJoin(Duration timeout) throws InterruptedException {
        Reactor r = reactor;
        if (r != null) {
            r.requestStop();
        }
        join(timeout.toMillis());
        return !isAlive();
    }
}
