package io.percore.core;

import io.percore.reactor.ReactorBackend;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shard's event loop. Each turn, in order: run ready tasks of the scheduling group that is most behind its
 * shares until the task quota expires; poll the backend and the pollers (cross-shard queues, memory); take
 * work handed in by other threads; fire expired timers. With nothing to do it spins for the idle-poll time, then
 * sleeps in the backend until the next timer, woken by an eventfd that other shards ring.
 *
 * <p>Everything here runs on the shard's thread except {@link #execute(Runnable)}, {@link #wakeup()} and
 * {@link #requestStop()}, which any thread may call.
 */
public final class Reactor implements Executor {
    private static final Logger LOG = LoggerFactory.getLogger(Reactor.class);
    private static final VarHandle SLEEPING;
    private static final VarHandle TASK_SEQ;
    private static final VarHandle RUNNING_TASK;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            SLEEPING = l.findVarHandle(Reactor.class, "sleeping", boolean.class);
            TASK_SEQ = l.findVarHandle(Reactor.class, "taskSeq", long.class);
            RUNNING_TASK = l.findVarHandle(Reactor.class, "runningTask", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int shardId;
    final ReactorConfig config;
    private final ReactorBackend backend;
    private Thread owner;

    private final TaskQueue[] queues = new TaskQueue[SchedulingGroup.MAX];
    private final TaskQueue mainQueue;
    private TaskQueue[] active = new TaskQueue[SchedulingGroup.MAX];
    private int activeCount;
    private long lastVruntime;
    /** The queue that continuations attach to now: the running task's group, else main. */
    TaskQueue currentQueue;

    final TimerQueue timers = new TimerQueue();
    private Poller[] pollers = new Poller[0];
    private final ConcurrentLinkedQueue<Runnable> inbox = new ConcurrentLinkedQueue<>();

    /** Written by this shard, read by producers deciding whether to ring the eventfd. */
    @SuppressWarnings("unused")
    private volatile boolean sleeping;
    private volatile boolean stopRequested;
    private volatile boolean stopped;

    long lowresNanos = System.nanoTime();
    /** The Async body running now, if any (see {@link Async}). */
    Object asyncBody;
    /**
     * When the code running now should yield. Set for every phase that runs user code: tasks, and also pollers
     * (cross-shard work runs inside them) and timer callbacks, so a loop started there yields too.
     */
    private long preemptDeadline = Long.MAX_VALUE;
    /** How many tasks run between two reads of the clock (1 to {@link #MAX_CLOCK_EVERY}), adapted to task length. */
    private int clockEvery = 1;
    private static final int MAX_CLOCK_EVERY = 64;

    // Read by the stall detector's thread with opaque loads; written here with opaque stores (plain movs on x86).
    @SuppressWarnings("unused")
    private long taskSeq;
    @SuppressWarnings("unused")
    private boolean runningTask;

    // Statistics, shard-local.
    private long turns;
    private long sleeps;
    private long tasksRun;

    /**
     * @param shardId the shard's id
     * @param config  quotas and backend choice
     * @param backend the I/O backend, created on the shard's thread
     */
    public Reactor(int shardId, ReactorConfig config, ReactorBackend backend) {
        this.shardId = shardId;
        this.config = config;
        this.backend = backend;
        this.mainQueue = queueOf(SchedulingGroup.MAIN);
        this.currentQueue = mainQueue;
    }

    /** @return the reactor of the calling shard thread, or null off-shard. */
    public static Reactor current() {
        return Thread.currentThread() instanceof Shard s ? s.reactor : null;
    }

    /** @return this reactor's shard id. Any thread. */
    public int shardId() {
        return shardId;
    }

    /** @return the backend's name. Any thread. */
    public String backendName() {
        return backend.name();
    }

    /** @return the I/O backend. Shard thread only. */
    public ReactorBackend backend() {
        return backend;
    }

    /** @return true when the caller is this reactor's thread (or the loop has not started yet). */
    public boolean isOwnerThread() {
        Thread o = owner;
        return o == null || o == Thread.currentThread();
    }

    TaskQueue queueOf(SchedulingGroup g) {
        TaskQueue q = queues[g.id()];
        if (q == null) {
            q = new TaskQueue(this, g);
            queues[g.id()] = q;
        }
        return q;
    }

    /** Adds a poller, checked every turn. Shard thread only (or before the loop starts). */
    public void addPoller(Poller p) {
        Poller[] next = Arrays.copyOf(pollers, pollers.length + 1);
        next[pollers.length] = p;
        pollers = next;
    }

    // ---------------------------------------------------------------- scheduling

    /** Schedules {@code task} on this shard in the current group. Shard thread only. */
    public void schedule(Runnable task) {
        assert isOwnerThread() : "schedule() on shard " + shardId + " from " + Thread.currentThread().getName();
        currentQueue.add(task);
    }

    /**
     * Runs {@code task} on this shard soon, in the main group. Any thread: from the shard itself it is queued
     * directly; from elsewhere it goes through a lock-free inbox and wakes the shard if it sleeps.
     *
     * @throws RejectedExecutionException when the shard has stopped
     */
    @Override
    public void execute(Runnable task) {
        if (stopped) {
            throw new RejectedExecutionException("shard " + shardId + " is stopped; it runs no more work");
        }
        if (Thread.currentThread() == owner) {
            mainQueue.add(task);
            return;
        }
        inbox.add(task);
        // The loop may have ended between the check above and the add, and drained the inbox already.
        if (stopped && inbox.remove(task)) {
            throw new RejectedExecutionException("shard " + shardId + " is stopped; it runs no more work");
        }
        wakeup();
    }

    void activate(TaskQueue q) {
        q.active = true;
        // A group coming back from idle starts level with the others: idleness earns no credit.
        if (q.vruntime < lastVruntime) {
            q.vruntime = lastVruntime;
        }
        active[activeCount++] = q;
    }

    private TaskQueue pickQueue() {
        TaskQueue best = null;
        for (int i = 0; i < activeCount; i++) {
            TaskQueue q = active[i];
            if (best == null || q.vruntime < best.vruntime) {
                best = q;
            }
        }
        return best;
    }

    private void deactivate(TaskQueue q) {
        q.active = false;
        for (int i = 0; i < activeCount; i++) {
            if (active[i] == q) {
                active[i] = active[--activeCount];
                active[activeCount] = null;
                return;
            }
        }
    }

    /** @return true when any task is ready. Shard thread only. */
    public boolean hasReadyTasks() {
        return activeCount > 0;
    }

    // ---------------------------------------------------------------- preemption

    /**
     * @return true when the running code (a task, or cross-shard work and timer callbacks, which run between
     * tasks) has used up the quota and should yield. Shard thread only.
     */
    public static boolean needPreempt() {
        Reactor r = current();
        return r != null && System.nanoTime() - r.preemptDeadline >= 0;
    }

    /**
     * @return a ready future when the task quota has time left; otherwise a future resolved by a task queued
     * behind everything ready now, so I/O, timers and other groups run first. Shard thread only.
     */
    public static Future<Void> maybeYield() {
        Reactor r = current();
        if (r == null || System.nanoTime() - r.preemptDeadline < 0) {
            return Future.done();
        }
        return yieldNow();
    }

    /** @return a future resolved by a task queued behind everything ready now. Shard thread only. */
    public static Future<Void> yieldNow() {
        Reactor r = current();
        if (r == null) {
            throw new IllegalStateException("yield needs a shard thread");
        }
        Promise<Void> p = new Promise<>();
        // Ending the slice makes the reactor poll and fire timers before running the rest.
        r.preemptDeadline = System.nanoTime();
        r.clockEvery = 1;
        r.currentQueue.add(() -> p.setValue(null));
        return p;
    }

    // ---------------------------------------------------------------- the loop

    /** Runs the loop on the calling thread until {@link #requestStop()}; then closes the backend. */
    public void run() {
        owner = Thread.currentThread();
        StallDetector.register(this);
        try {
            while (!stopRequested) {
                long now = System.nanoTime();
                lowresNanos = now;
                turns++;
                // runTasks leaves the poll-and-timers phase begun (see beginPhase); it ends before idling.
                boolean work = runTasks(now);
                work |= pollOnce();
                work |= timers.expire(System.nanoTime());
                RUNNING_TASK.setOpaque(this, false);
                if (!work && activeCount == 0) {
                    idle();
                }
            }
        } finally {
            stopped = true;
            StallDetector.unregister(this);
            drainAfterStop();
            backend.close();
        }
    }

    private boolean runTasks(long start) {
        long quota = config.taskQuotaNanos();
        TaskQueue q = pickQueue();
        if (q == null) {
            beginPhase(start, quota);
            return false;
        }
        lastVruntime = q.vruntime;
        preemptDeadline = start + quota;
        currentQueue = q;
        RUNNING_TASK.setOpaque(this, true);
        long seq = taskSeq;
        long ran = 0;
        long lastCheck = start;
        int sinceCheck = 0;
        do {
            Runnable task = q.poll();
            TASK_SEQ.setOpaque(this, ++seq);
            try {
                if (task instanceof Continuation<?, ?> c) {
                    c.dispatch();
                } else {
                    task.run();
                }
            } catch (Throwable e) {
                reportUncaught("task", e);
            }
            ran++;
            // Reading the clock costs as much as a short task, so short tasks are timed in batches. A batch that
            // took more than an eighth of the quota means long tasks are about: time each one again.
            if (++sinceCheck >= clockEvery) {
                long t = System.nanoTime();
                if (t - lastCheck > quota >> 3) {
                    clockEvery = 1;
                } else if (clockEvery < MAX_CLOCK_EVERY) {
                    clockEvery <<= 1;
                }
                lastCheck = t;
                sinceCheck = 0;
                if (t - preemptDeadline >= 0) {
                    break;
                }
            }
        } while (!q.isEmpty());
        long end = sinceCheck == 0 ? lastCheck : System.nanoTime();
        currentQueue = mainQueue;
        beginPhase(end, quota);
        q.charge(end - start);
        q.tasksRun += ran;
        tasksRun += ran;
        if (q.isEmpty()) {
            deactivate(q);
        }
        return true;
    }

    /**
     * Begins the phase of polling and timers. It runs user code too (cross-shard work inside the pollers, timer
     * callbacks), so it gets a quota of its own, and the stall detector watches it as one more task.
     */
    private void beginPhase(long start, long quota) {
        preemptDeadline = start + quota;
        TASK_SEQ.setOpaque(this, ++taskSeq);
        RUNNING_TASK.setOpaque(this, true);
    }

    private boolean pollOnce() {
        boolean work = false;
        Runnable r;
        while ((r = inbox.poll()) != null) {
            mainQueue.add(r);
            work = true;
        }
        work |= backend.poll();
        for (Poller p : pollers) {
            work |= p.poll();
        }
        return work;
    }

    private void idle() {
        long start = System.nanoTime();
        long spinUntil = config.pollMode() ? Long.MAX_VALUE : start + config.idlePollNanos();
        long next = timers.nextDeadline();
        while (true) {
            long now = System.nanoTime();
            if (stopRequested || activeCount > 0 || next - now <= 0) {
                return;
            }
            beginPhase(now, config.taskQuotaNanos());
            boolean polled = pollOnce();
            RUNNING_TASK.setOpaque(this, false);
            if (polled || activeCount > 0) {
                return;
            }
            if (now - spinUntil >= 0) {
                break;
            }
            Thread.onSpinWait();
        }
        sleep(timers.nextDeadline());
    }

    private void sleep(long nextTimer) {
        SLEEPING.setVolatile(this, true);
        // Dekker with the producers: our flag store must be visible before we look at their queues again.
        VarHandle.fullFence();
        int entered = 0;
        boolean stay = !inbox.isEmpty() || stopRequested;
        if (!stay) {
            for (Poller p : pollers) {
                if (!p.tryEnterIdle()) {
                    stay = true;
                    break;
                }
                entered++;
            }
        }
        if (!stay && activeCount == 0) {
            long timeout = nextTimer == Long.MAX_VALUE ? -1 : Math.max(0, nextTimer - System.nanoTime());
            sleeps++;
            backend.sleep(timeout);
        }
        SLEEPING.setVolatile(this, false);
        for (int i = 0; i < entered; i++) {
            pollers[i].exitIdle();
        }
    }

    /** Ends the reactor's idle sleep if it is in one. Any thread; publish the work first. */
    public void wakeup() {
        if (config.pollMode()) {
            return; // never sleeps: nothing to wake, and no fence to pay
        }
        VarHandle.fullFence();
        if ((boolean) SLEEPING.getVolatile(this)) {
            backend.wakeup();
        }
    }

    /** Asks the loop to end after its current turn. Any thread. */
    public void requestStop() {
        stopRequested = true;
        backend.wakeup();
    }

    /** @return true once the loop has ended. Any thread. */
    public boolean isStopped() {
        return stopped;
    }

    /** Rejects what the loop will never run: tasks still in the inbox and in the task queues. */
    private void drainAfterStop() {
        int dropped = 0;
        Runnable r;
        while ((r = inbox.poll()) != null) {
            dropped += rejectOrDrop(r);
        }
        for (int i = 0; i < activeCount; i++) {
            TaskQueue q = active[i];
            while ((r = q.poll()) != null) {
                dropped += rejectOrDrop(r);
            }
        }
        if (dropped > 0) {
            LOG.debug("shard {} stopped with {} task(s) not run", shardId, dropped);
        }
    }

    private int rejectOrDrop(Runnable r) {
        if (r instanceof RejectableTask rt) {
            try {
                rt.reject(new RejectedExecutionException("shard " + shardId + " stopped before running it"));
            } catch (Throwable t) {
                reportUncaught("reject", t);
            }
            return 0;
        }
        return 1;
    }

    // ---------------------------------------------------------------- stall detector's view (any thread, opaque)

    /** @return the number of the task running now (it changes with every task), read opaquely. */
    long stallSequence() {
        return (long) TASK_SEQ.getOpaque(this);
    }

    /** @return true while the loop is inside a task slice or the poll phase, read opaquely. */
    boolean stallRunning() {
        return (boolean) RUNNING_TASK.getOpaque(this);
    }

    Thread ownerThread() {
        return owner;
    }

    // ---------------------------------------------------------------- statistics (shard thread)

    /** @return loop turns so far. */
    public long turns() {
        return turns;
    }

    /** @return how many times the loop slept in the backend. */
    public long sleeps() {
        return sleeps;
    }

    /** @return tasks run so far. */
    public long tasksRun() {
        return tasksRun;
    }

    /** @return CPU time in nanoseconds used by {@code group}'s tasks on this shard. */
    public long runtimeNanos(SchedulingGroup group) {
        TaskQueue q = queues[group.id()];
        return q == null ? 0 : q.runtimeNanos;
    }

    /** @return armed timers on this shard. */
    public int armedTimers() {
        return timers.size();
    }

    static void reportUncaught(String what, Throwable e) {
        Reactor r = current();
        LOG.error("{} threw on {}: {}", what, r == null ? Thread.currentThread().getName() : "shard " + r.shardId,
                e.toString(), e);
    }
}
