package io.percore.core;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A named class of work with a weight, its shares, in one of the proportional-share schedulers: the part that
 * {@link SchedulingGroup} (CPU time) and {@code file.IoClass} (storage I/O) have in common. Classes are defined
 * once for the whole process in a fixed-size {@link Registry}, so every shard can index its own per-class state
 * by {@link #id()}; the name and id never change, the shares may. Any thread may read a class's fields.
 */
public abstract class ShareClass {
    /** The weight range every scheduler accepts. */
    public static final int MIN_SHARES = 1, MAX_SHARES = 1_000_000;

    private final int id;
    private final String name;
    private volatile int shares;

    /** For subclasses, through {@link Registry#define}: the shares were checked there. */
    protected ShareClass(int id, String name, int shares) {
        this.id = id;
        this.name = name;
        this.shares = shares;
    }

    /** @return the class's index in its registry, from 0. Any thread. */
    public final int id() {
        return id;
    }

    /** @return the name given at creation. Any thread. */
    public final String name() {
        return name;
    }

    /** @return the current shares. Any thread. */
    public final int shares() {
        return shares;
    }

    /**
     * Changes the shares; every shard's scheduler uses the new value from its next accounting. Any thread.
     *
     * @throws IllegalArgumentException for shares out of range
     */
    public final void setShares(int shares) {
        this.shares = checkShares(shares);
    }

    /** @return {@code shares} when it lies in the accepted range. @throws IllegalArgumentException otherwise */
    public static int checkShares(int shares) {
        if (shares < MIN_SHARES || shares > MAX_SHARES) {
            throw new IllegalArgumentException("shares must be between " + MIN_SHARES + " and " + MAX_SHARES + ", not "
                    + shares);
        }
        return shares;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + ", " + shares + " shares]";
    }

    /**
     * The process-wide table of one kind of class: at most a fixed number, ids handed out from 0 and never
     * reused. Any thread.
     *
     * @param <C> the kind of class
     */
    public static final class Registry<C extends ShareClass> {
        private final String kind;
        private final ShareClass[] table;
        private final AtomicInteger next = new AtomicInteger();

        /**
         * @param kind what its classes are called in errors, plural ("scheduling groups")
         * @param max  how many may be defined
         */
        public Registry(String kind, int max) {
            this.kind = kind;
            this.table = new ShareClass[max];
        }

        /**
         * Defines a class with the next id.
         *
         * @param make builds the class from (id, name, shares)
         * @throws IllegalArgumentException for shares out of range
         * @throws IllegalStateException when the table is full
         */
        public C define(String name, int shares, Factory<C> make) {
            checkShares(shares);
            int id = next.getAndIncrement();
            if (id >= table.length) {
                throw new IllegalStateException("at most " + table.length + " " + kind + " may exist; cannot create '"
                        + name + "'");
            }
            C c = make.create(id, name, shares);
            table[id] = c;
            return c;
        }

        /** @return the class with {@code id}, or null when none was defined with it. */
        @SuppressWarnings("unchecked")
        public C byId(int id) {
            return (C) table[id];
        }

        /** @return how many classes it can hold. */
        public int capacity() {
            return table.length;
        }
    }

    /** Builds one kind of class; the registry passes the id it chose. @param <C> the kind */
    @FunctionalInterface
    public interface Factory<C extends ShareClass> {
        /** @return the new class */
        C create(int id, String name, int shares);
    }
}
