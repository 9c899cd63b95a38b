package io.percore.file;

import io.percore.core.Future;
import io.percore.reactor.FileOps;
import io.percore.sys.Filesystem;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;

/**
 * One shard's queue in front of one device: a FIFO per {@link IoClass}, a bound on the requests handed to the
 * kernel at once, and a fair choice of which class goes next.
 *
 * <p><b>Fairness.</b> Each class has a virtual time that advances, at every dispatch, by the request's cost
 * (its bytes plus {@link IoQueueConfig#requestCostBytes()}) divided by the class's shares; the class with the
 * smallest virtual time goes next. Two classes that both keep requests waiting therefore get dispatches in the
 * ratio of their shares, byte for byte. A class that had nothing waiting re-enters at the current virtual time,
 * so idleness earns no credit.
 *
 * <p><b>Shape.</b> A request larger than {@link IoQueueConfig#maxRequestBytes()} is split into pieces that queue
 * one after another in its class; when a request is dispatched, the requests behind it in its class that continue
 * it (same descriptor and direction, next in the file and next in memory) ride on the same system call, up to
 * the same size.
 *
 * <p>Shard thread only; no locks, no atomics.
 */
final class IoQueue {
    /** A class's waiting requests and accounting on this device. */
    static final class ClassQueue {
        final IoQueue owner;
        final IoClass ioClass;
        final ArrayDeque<IoRequest> pending = new ArrayDeque<>();
        double vtime;
        boolean active;
        int inFlight;
        long dispatched;
        long completedRequests;
        long completedBytes;

        ClassQueue(IoQueue owner, IoClass ioClass) {
            this.owner = owner;
            this.ioClass = ioClass;
        }
    }

    private final IoScheduler scheduler;
    private final DeviceLimits device;
    private IoQueueConfig config;
    private final ClassQueue[] classes = new ClassQueue[IoClass.MAX];
    private final ClassQueue[] active = new ClassQueue[IoClass.MAX];
    private int activeCount;
    private double lastVtime;
    private int inFlight;
    private boolean dispatching;
    private long systemCalls;
    private long merges;
    private long splits;

    IoQueue(IoScheduler scheduler, DeviceLimits device, IoQueueConfig base) {
        this.scheduler = scheduler;
        this.device = device;
        this.config = device.apply(base);
    }

    void reconfigure(IoQueueConfig base) {
        this.config = device.apply(base);
        dispatch();
    }

    IoQueueConfig config() {
        return config;
    }

    DeviceLimits device() {
        return device;
    }

    ClassQueue classQueue(IoClass c) {
        ClassQueue q = classes[c.id()];
        if (q == null) {
            q = new ClassQueue(this, c);
            classes[c.id()] = q;
        }
        return q;
    }

    /**
     * Queues a read or write of all of {@code segment} at {@code position}, split as the device needs.
     *
     * @return the bytes transferred (fewer at end of file), or the kernel's failure as an ErrnoException
     */
    Future<Integer> submit(IoClass c, int kind, int fd, long position, MemorySegment segment) {
        ClassQueue q = classQueue(c);
        long length = segment.byteSize();
        int max = config.maxRequestBytes();
        Future<Integer> result;
        if (length <= max) {
            IoRequest r = new IoRequest(q, kind, fd, position, segment, null, 0);
            enqueue(q, r);
            result = r;
        } else {
            int pieces = (int) ((length + max - 1) / max);
            int[] lengths = new int[pieces];
            for (int i = 0; i < pieces; i++) {
                lengths[i] = (int) Math.min(max, length - (long) i * max);
            }
            IoRequest.Split split = new IoRequest.Split(lengths);
            for (int i = 0; i < pieces; i++) {
                long off = (long) i * max;
                enqueue(q, new IoRequest(q, kind, fd, position + off, segment.asSlice(off, lengths[i]), split, i));
            }
            splits++;
            result = split;
        }
        dispatch();
        return result;
    }

    private void enqueue(ClassQueue q, IoRequest r) {
        if (!q.active) {
            q.active = true;
            // Coming back from idle: start level with the others, no credit for the time away.
            if (q.vtime < lastVtime) {
                q.vtime = lastVtime;
            }
            active[activeCount++] = q;
        }
        q.pending.add(r);
    }

    /** Hands waiting requests to the kernel while the device has room; re-entrant calls return at once. */
    void dispatch() {
        if (dispatching) {
            return; // an inline completion inside the loop below: the loop picks up the freed slot itself
        }
        dispatching = true;
        try {
            while (inFlight < config.maxInFlight() && activeCount > 0) {
                ClassQueue q = pickClass();
                lastVtime = q.vtime;
                IoRequest head = q.pending.poll();
                long bytes = head.length;
                if (config.merge()) {
                    bytes = mergeBehind(q, head, bytes);
                }
                q.vtime += (double) (bytes + config.requestCostBytes()) / q.ioClass.shares();
                if (q.pending.isEmpty()) {
                    deactivate(q);
                }
                q.dispatched++;
                q.inFlight++;
                inFlight++;
                systemCalls++;
                start(head, bytes);
            }
        } finally {
            dispatching = false;
        }
    }

    private ClassQueue pickClass() {
        ClassQueue best = active[0];
        for (int i = 1; i < activeCount; i++) {
            if (active[i].vtime < best.vtime) {
                best = active[i];
            }
        }
        return best;
    }

    private void deactivate(ClassQueue q) {
        q.active = false;
        for (int i = 0; i < activeCount; i++) {
            if (active[i] == q) {
                active[i] = active[--activeCount];
                active[activeCount] = null;
                return;
            }
        }
    }

    /** Chains the requests that continue {@code head} in file and memory onto it; returns the total bytes. */
    private long mergeBehind(ClassQueue q, IoRequest head, long bytes) {
        IoRequest tail = head;
        int max = config.maxRequestBytes();
        for (IoRequest next = q.pending.peek(); next != null; next = q.pending.peek()) {
            if (next.kind != head.kind || next.fd != head.fd || next.position != head.position + bytes
                    || next.segment.address() != head.segment.address() + bytes || bytes + next.length > max) {
                break;
            }
            q.pending.poll();
            tail.merged = next;
            tail = next;
            bytes += next.length;
            merges++;
        }
        return bytes;
    }

    private void start(IoRequest head, long bytes) {
        FileOps ops = scheduler.fileOps();
        MemorySegment target = head.merged == null ? head.segment : Filesystem.extend(head.segment, bytes);
        Future<Integer> op;
        try {
            op = head.kind == IoRequest.READ ? ops.read(head.fd, head.position, target)
                    : ops.write(head.fd, head.position, target);
        } catch (Throwable t) {
            op = Future.failed(t);
        }
        op.onComplete((n, error) -> complete(head, n == null ? 0 : n, error));
    }

    /** One system call finished: share its bytes out over the requests it carried, then refill the device. */
    private void complete(IoRequest head, int transferred, Throwable error) {
        ClassQueue q = head.queue;
        q.inFlight--;
        inFlight--;
        int left = transferred;
        for (IoRequest r = head; r != null; ) {
            IoRequest next = r.merged;
            r.merged = null;
            int mine = Math.min(left, r.length);
            left -= mine;
            q.completedRequests++;
            q.completedBytes += mine;
            r.finish(mine, error);
            r = next;
        }
        dispatch();
    }

    /** @return requests handed to the kernel and not yet completed. */
    int inFlight() {
        return inFlight;
    }

    /** @return requests waiting for a slot, over all classes. */
    int queued() {
        int n = 0;
        for (int i = 0; i < activeCount; i++) {
            n += active[i].pending.size();
        }
        return n;
    }

    long systemCalls() {
        return systemCalls;
    }

    long merges() {
        return merges;
    }

    long splits() {
        return splits;
    }

    ClassQueue[] classes() {
        return classes;
    }
}
