package io.percore.file;

import io.percore.core.Reactor;
import io.percore.reactor.FileOps;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A shard's storage I/O scheduler: one queue per device the shard's files live on, each with a FIFO per
 * {@link IoClass}, a bound on requests in flight, fair dispatch by shares, and requests split and merged to the
 * device's preferred size (see {@link IoQueueConfig}). Every {@link DmaFile} read and write goes through it.
 *
 * <p><b>The engine.</b> Requests are performed by the reactor backend's asynchronous file operations
 * ({@link io.percore.reactor.ReactorBackend#fileOps()}: io_uring or linux-aio). A backend without them (epoll)
 * gets a fallback that runs pread/pwrite on a small pool of helper threads and completes back on the shard, so
 * the shard still never blocks; {@link #engine()} says which one runs. {@link #useFileOps} substitutes another
 * engine (tests, tools).
 *
 * <p>One scheduler per shard, created on first use; shard thread only. The shards do not coordinate: each
 * enforces its bounds over its own requests, as Seastar's per-shard queues do without a shared coordinator.
 */
public final class IoScheduler {
    private static final ThreadLocal<IoScheduler> CURRENT = new ThreadLocal<>();

    private final Reactor reactor;
    private FileOps ops;
    private String engine;
    private IoQueueConfig config = IoQueueConfig.defaults();
    private final Map<Long, IoQueue> queues = new HashMap<>();

    private IoScheduler(Reactor reactor) {
        this.reactor = reactor;
        FileOps backendOps = reactor.backend().fileOps();
        if (backendOps != null) {
            this.ops = backendOps;
            this.engine = reactor.backendName();
        } else {
            this.ops = ThreadPoolFileOps.shared();
            this.engine = ThreadPoolFileOps.ENGINE_NAME;
        }
    }

    /**
     * @return the calling shard's scheduler, created on first use
     * @throws IllegalStateException off a shard thread
     */
    public static IoScheduler current() {
        IoScheduler s = CURRENT.get();
        Reactor r = Reactor.current();
        if (s == null || s.reactor != r) {
            if (r == null) {
                throw new IllegalStateException("the I/O scheduler belongs to a shard; call it on a shard thread");
            }
            s = new IoScheduler(r);
            CURRENT.set(s);
        }
        return s;
    }

    /**
     * @return what performs the requests: the backend's name ("io_uring", "linux-aio"), or
     *         {@value ThreadPoolFileOps#ENGINE_NAME} for the helper-thread fallback. Shard thread.
     */
    public String engine() {
        return engine;
    }

    /**
     * Makes {@code fileOps} perform this shard's requests from now on (requests already in flight complete
     * where they started). For tests and tools that bring their own engine. Shard thread.
     *
     * @param name what {@link #engine()} reports
     */
    public void useFileOps(FileOps fileOps, String name) {
        this.ops = Objects.requireNonNull(fileOps, "fileOps");
        this.engine = Objects.requireNonNull(name, "name");
    }

    /** @return the configuration devices start from (before their own limits narrow it). Shard thread. */
    public IoQueueConfig config() {
        return config;
    }

    /**
     * Sets the configuration of every device queue of this shard, present and future; each device narrows it by
     * its own limits. Shard thread.
     */
    public void configure(IoQueueConfig newConfig) {
        this.config = Objects.requireNonNull(newConfig, "config");
        for (IoQueue q : queues.values()) {
            q.reconfigure(newConfig);
        }
    }

    FileOps fileOps() {
        return ops;
    }

    IoQueue queueFor(DeviceLimits device) {
        IoQueue q = queues.get(device.device());
        if (q == null) {
            q = new IoQueue(this, device, config);
            queues.put(device.device(), q);
        }
        return q;
    }

    /**
     * What one class did on one device of this shard.
     *
     * @param device            the device ("254:0")
     * @param ioClass           the class
     * @param dispatched        system calls issued for it
     * @param completedRequests requests (or pieces of split ones) completed
     * @param completedBytes    bytes transferred
     * @param queued            requests waiting now
     * @param inFlight          system calls in the kernel now
     */
    public record ClassStats(String device, IoClass ioClass, long dispatched, long completedRequests,
                             long completedBytes, int queued, int inFlight) {}

    /**
     * What one device queue of this shard did.
     *
     * @param device          the device ("254:0")
     * @param config          its effective configuration
     * @param systemCalls     reads and writes handed to the engine
     * @param splits          requests split into pieces
     * @param merges          requests that rode on a neighbour's system call
     * @param inFlight        system calls in the kernel now
     * @param queued          requests waiting now
     * @param classes         per-class figures, for every class that used the device
     */
    public record QueueStats(String device, IoQueueConfig config, long systemCalls, long splits, long merges,
                             int inFlight, int queued, List<ClassStats> classes) {}

    /** @return figures of every device queue of this shard. Shard thread. */
    public List<QueueStats> stats() {
        List<QueueStats> out = new ArrayList<>();
        for (IoQueue q : queues.values()) {
            List<ClassStats> cs = new ArrayList<>();
            for (IoQueue.ClassQueue c : q.classes()) {
                if (c != null) {
                    cs.add(new ClassStats(q.device().name(), c.ioClass, c.dispatched, c.completedRequests,
                            c.completedBytes, c.pending.size(), c.inFlight));
                }
            }
            out.add(new QueueStats(q.device().name(), q.config(), q.systemCalls(), q.splits(), q.merges(),
                    q.inFlight(), q.queued(), List.copyOf(cs)));
        }
        return List.copyOf(out);
    }
}
