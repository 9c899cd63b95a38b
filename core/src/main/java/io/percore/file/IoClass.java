package io.percore.file;

import io.percore.core.ShareClass;

/**
 * A priority class of storage I/O with a share of each device's capacity: Seastar's {@code io_priority_class}.
 * When requests of several classes wait for the same device on a shard, the {@link IoScheduler} dispatches
 * from the class that has used the least of the device relative to its shares, so two busy classes with shares
 * 1:4 get bandwidth 1:4 (compaction cannot starve queries). A class with nothing queued accumulates no credit.
 *
 * <p>Classes are defined once for the whole process (name and id are fixed; the shares may change); every shard
 * keeps its own queue per class and device. Any thread may create a class or read its fields.
 */
public final class IoClass extends ShareClass {
    /** How many classes a process may define. */
    public static final int MAX = 32;

    private static final Registry<IoClass> CLASSES = new Registry<>("I/O classes", MAX);

    /** The class of I/O that names none; 1000 shares. */
    public static final IoClass DEFAULT = create("default", 1000);

    private IoClass(int id, String name, int shares) {
        super(id, name, shares);
    }

    /**
     * Defines a class. Any thread; usually at start-up.
     *
     * @param shares its weight, 1 to 1,000,000
     * @throws IllegalArgumentException for shares out of range
     * @throws IllegalStateException when {@link #MAX} classes exist already
     */
    public static IoClass create(String name, int shares) {
        return CLASSES.define(name, shares, IoClass::new);
    }
}
