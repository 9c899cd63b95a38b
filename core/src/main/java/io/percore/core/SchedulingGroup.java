package io.percore.core;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A class of work with a share of each shard's CPU time. When several groups have tasks ready on a shard, the
 * reactor runs the one that has used the least time relative to its shares (a virtual-runtime fair queue, as
 * Seastar does), so busy groups with shares 1:3 get CPU time 1:3. Idle groups accumulate no credit.
 *
 * <p>Groups are defined once for the whole process (their definitions are shared, immutable except for the
 * shares); each shard keeps its own queue per group. A continuation runs in the group that was current when it
 * was attached, so whole chains stay in their group.
 */
public final class SchedulingGroup {
    /** How many groups a process may define. */
    public static final int MAX = 16;

    private static final SchedulingGroup[] GROUPS = new SchedulingGroup[MAX];
    private static final AtomicInteger NEXT_ID = new AtomicInteger();

    /** The group of everything not placed elsewhere; 1000 shares. */
    public static final SchedulingGroup MAIN = create("main", 1000);

    private final int id;
    private final String name;
    private volatile int shares;

    private SchedulingGroup(int id, String name, int shares) {
        this.id = id;
        this.name = name;
        this.shares = shares;
    }

    /**
     * Defines a group. Any thread; usually at start-up.
     *
     * @param shares its weight, 1 to 1,000,000
     * @throws IllegalStateException when {@link #MAX} groups exist already
     */
    public static SchedulingGroup create(String name, int shares) {
        checkShares(shares);
        int id = NEXT_ID.getAndIncrement();
        if (id >= MAX) {
            throw new IllegalStateException("at most " + MAX + " scheduling groups may exist; cannot create '" + name + "'");
        }
        SchedulingGroup g = new SchedulingGroup(id, name, shares);
        GROUPS[id] = g;
        return g;
    }

    private static void checkShares(int shares) {
        if (shares < 1 || shares > 1_000_000) {
            throw new IllegalArgumentException("shares must be between 1 and 1000000, not " + shares);
        }
    }

    static SchedulingGroup byId(int id) {
        return GROUPS[id];
    }

    /** @return the group of the task running now on this shard ({@link #MAIN} off-shard). */
    public static SchedulingGroup current() {
        TaskQueue q = TaskQueue.current();
        return q == null ? MAIN : q.group;
    }

    /**
     * Runs {@code action} as a task of this group on the current shard; continuations it attaches stay in the
     * group. Shard thread only.
     */
    public <T> Future<T> run(Supplier<? extends Future<T>> action) {
        Reactor r = Reactor.current();
        if (r == null) {
            throw new IllegalStateException("SchedulingGroup.run needs a shard thread");
        }
        Promise<T> result = new Promise<>();
        r.queueOf(this).add(() -> Future.of(action).forward(result));
        return result;
    }

    /** @return the group's id, 0 for {@link #MAIN}. */
    public int id() {
        return id;
    }

    /** @return the group's name, as given to {@link #create}. */
    public String name() {
        return name;
    }

    /** @return the group's shares. */
    public int shares() {
        return shares;
    }

    /** Changes the group's shares on every shard from the next accounting on. Any thread. */
    public void setShares(int shares) {
        checkShares(shares);
        this.shares = shares;
    }

    @Override
    public String toString() {
        return "SchedulingGroup[" + name + ", shares=" + shares + "]";
    }
}
