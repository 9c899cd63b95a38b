package io.percore.file;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A priority class of storage I/O with a share of each device's capacity: Seastar's {@code io_priority_class}.
 * When requests of several classes wait for the same device on a shard, the {@link IoScheduler} dispatches
 * from the class that has used the least of the device relative to its shares, so two busy classes with shares
 * 1:4 get bandwidth 1:4 (compaction cannot starve queries). A class with nothing queued accumulates no credit.
 *
 * <p>Classes are defined once for the whole process (name and id are fixed; the shares may change); every shard
 * keeps its own queue per class and device. Any thread may create a class or read its fields.
 */
public final class IoClass {
    /** How many classes a process may define. */
    public static final int MAX = 32;

    private static final IoClass[] CLASSES = new IoClass[MAX];
    private static final AtomicInteger NEXT_ID = new AtomicInteger();

    /** The class of I/O that names none; 1000 shares. */
    public static final IoClass DEFAULT = create("default", 1000);

    private final int id;
    private final String name;
    private volatile int shares;

    private IoClass(int id, String name, int shares) {
        this.id = id;
        this.name = name;
        this.shares = shares;
    }

    /**
     * Defines a class. Any thread; usually at start-up.
     *
     * @param shares its weight, 1 to 1,000,000
     * @throws IllegalArgumentException for shares out of range
     * @throws IllegalStateException when {@link #MAX} classes exist already
     */
    public static IoClass create(String name, int shares) {
        checkShares(shares);
        int id = NEXT_ID.getAndIncrement();
        if (id >= MAX) {
            throw new IllegalStateException("at most " + MAX + " I/O classes may exist; cannot create '" + name + "'");
        }
        IoClass c = new IoClass(id, name, shares);
        CLASSES[id] = c;
        return c;
    }

    private static void checkShares(int shares) {
        if (shares < 1 || shares > 1_000_000) {
            throw new IllegalArgumentException("I/O shares must be between 1 and 1000000, not " + shares);
        }
    }

    /** @return the class's index, 0 to {@link #MAX} - 1. Any thread. */
    public int id() {
        return id;
    }

    /** @return the name given at creation. Any thread. */
    public String name() {
        return name;
    }

    /** @return the current shares. Any thread. */
    public int shares() {
        return shares;
    }

    /**
     * Changes the class's shares; every shard's scheduler uses the new value from its next dispatch. Any thread.
     *
     * @throws IllegalArgumentException for shares out of range
     */
    public void setShares(int shares) {
        checkShares(shares);
        this.shares = shares;
    }

    @Override
    public String toString() {
        return "IoClass[" + name + ", " + shares + " shares]";
    }
}
