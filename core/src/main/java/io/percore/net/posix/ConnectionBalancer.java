package io.percore.net.posix;

import io.percore.net.ListenOptions.Balancing;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Decides which shard gets a connection that one shard of a listening group has just accepted, by the group's
 * {@link Balancing} policy, among the shards that currently accept on that address.
 *
 * <p><b>Exact counts without shared counters.</b> For {@link Balancing#CONNECTION_DISTRIBUTION} the accepting
 * shard needs every shard's number of live connections <em>including those still on their way to it</em>, or a
 * burst of accepts would all see the same stale counts and pick the same shard. So the count is kept where it
 * changes, each number with a single writer:
 * <ul>
 *   <li>{@code assigned[a][t]}: connections shard {@code a} has routed to shard {@code t}; written by {@code a}
 *       at the moment it decides, before the hand-off message leaves;</li>
 *   <li>{@code closed[t]}: connections of this listener closed (or dropped) on shard {@code t}; written by
 *       {@code t}.</li>
 * </ul>
 * Shard {@code t}'s live count is {@code Σa assigned[a][t] − closed[t]}. Writers publish with a release store of
 * their own plain-read value (no read-modify-write: each slot has one writer), readers use acquire loads. An
 * acceptor always sees its own decisions at once, so one acceptor alone is exact; two acceptors deciding in the
 * same few nanoseconds may both miss the other's latest decision, an error of one connection, not a drift.
 * Rows and the closed slots are padded to 64-byte lines so writers do not share cache lines.
 *
 * <p>Thread rules: {@link #choose}, {@link #assigned} and {@link #unassigned} run on the deciding shard with its
 * own id; {@link #closed} on the shard that held the connection; {@link #setAcceptors} under the group's lock.
 */
final class ConnectionBalancer {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Longs per 64-byte cache line. */
    private static final int LINE = 8;

    private final Balancing policy;
    private final int fixedShard;
    private final int shards;
    private final int rowStride;
    private final long[] assigned;
    private final long[] closed;
    /** Shards taking connections, ascending; replaced (never mutated) under the group's lock. */
    private volatile int[] acceptors = new int[0];

    ConnectionBalancer(Balancing policy, int fixedShard, int shards) {
        this.policy = policy;
        this.fixedShard = fixedShard;
        this.shards = shards;
        this.rowStride = (shards + LINE - 1) / LINE * LINE;
        // One spare line at each end keeps the first and last rows off neighbouring objects' lines.
        this.assigned = new long[LINE + shards * rowStride + LINE];
        this.closed = new long[LINE + shards * LINE + LINE];
    }

    /** @return the policy. */
    Balancing policy() {
        return policy;
    }

    /** Replaces the set of shards taking connections. Under the group's lock. */
    void setAcceptors(int[] sortedShards) {
        acceptors = sortedShards.clone();
    }

    /** @return the shards taking connections now (a copy). Any thread. */
    int[] acceptors() {
        return acceptors.clone();
    }

    /**
     * @param self     the deciding (accepting) shard
     * @param peerPort the peer's source port
     * @return the shard that should take the connection: one that accepts on the address, or {@code self} when
     * none does (it will then drop the connection)
     */
    int choose(int self, int peerPort) {
        int[] members = acceptors;
        if (members.length == 0) {
            return self;
        }
        return switch (policy) {
            case FIXED -> contains(members, fixedShard) ? fixedShard : (contains(members, self) ? self : members[0]);
            case PORT -> {
                int t = peerPort % shards;
                yield contains(members, t) ? t : members[peerPort % members.length];
            }
            case CONNECTION_DISTRIBUTION -> fewest(members, self);
        };
    }

    /** The acceptor with the fewest live connections; ties go to {@code self} (no hand-off), then in ring order after it. */
    private int fewest(int[] members, int self) {
        int start = Arrays.binarySearch(members, self);
        if (start < 0) {
            start = -start - 1;
        }
        int best = -1;
        long bestLoad = Long.MAX_VALUE;
        for (int k = 0; k < members.length; k++) {
            int t = members[(start + k) % members.length];
            long load = live(t);
            if (load < bestLoad) {
                bestLoad = load;
                best = t;
            }
        }
        return best;
    }

    /** Records that {@code self} routed a connection to {@code target}. On shard {@code self}. */
    void assigned(int self, int target) {
        add(assigned, LINE + self * rowStride + target, 1);
    }

    /** Takes back a routing decision whose hand-off failed (the connection was dropped). On shard {@code self}. */
    void unassigned(int self, int target) {
        add(assigned, LINE + self * rowStride + target, -1);
    }

    /** Records that a connection of this listener ended on {@code shard}. On that shard. */
    void closed(int shard) {
        add(closed, LINE + shard * LINE, 1);
    }

    /** @return the live connections of {@code target}: routed to it by anyone, minus closed there. Any thread. */
    long live(int target) {
        long sum = 0;
        for (int a = 0; a < shards; a++) {
            sum += (long) LONGS.getAcquire(assigned, LINE + a * rowStride + target);
        }
        return sum - (long) LONGS.getAcquire(closed, LINE + target * LINE);
    }

    private static void add(long[] array, int index, long delta) {
        // Single writer: a plain read of our own last value, then a release store others read with acquire.
        LONGS.setRelease(array, index, (long) LONGS.get(array, index) + delta);
    }

    private static boolean contains(int[] sorted, int shard) {
        return Arrays.binarySearch(sorted, shard) >= 0;
    }
}
