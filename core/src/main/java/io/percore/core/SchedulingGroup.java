package io.percore.core;

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
public final class SchedulingGroup extends ShareClass {
    /** How many groups a process may define. */
    public static final int MAX = 16;

    private static final Registry<SchedulingGroup> GROUPS = new Registry<>("scheduling groups", MAX);

    /** The group of everything not placed elsewhere; 1000 shares. */
    public static final SchedulingGroup MAIN = create("main", 1000);

    private SchedulingGroup(int id, String name, int shares) {
        super(id, name, shares);
    }

    /**
     * Defines a group. Any thread; usually at start-up.
     *
     * @param shares its weight, 1 to 1,000,000
     * @throws IllegalArgumentException for shares out of range
     * @throws IllegalStateException when {@link #MAX} groups exist already
     */
    public static SchedulingGroup create(String name, int shares) {
        return GROUPS.define(name, shares, SchedulingGroup::new);
    }

    static SchedulingGroup byId(int id) {
        return GROUPS.byId(id);
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
}
