package io.percore.net;

/**
 * How to listen: the backlog, address reuse, dual-stack for "::", and how connections are spread over shards.
 *
 * @param backlog     the kernel's accept queue length
 * @param reuseAddress SO_REUSEADDR
 * @param dualStack   with an IPv6 wildcard, accept IPv4 too (IPV6_V6ONLY off)
 * @param balancing   how new connections are assigned to shards
 * @param fixedShard  the shard that takes every connection with {@link Balancing#FIXED}
 */
public record ListenOptions(int backlog, boolean reuseAddress, boolean dualStack, Balancing balancing, int fixedShard) {
    /** Seastar's load-balancing algorithms. */
    public enum Balancing {
        /** A new connection goes to the shard holding the fewest (the default). */
        CONNECTION_DISTRIBUTION,
        /** Shard = the peer's source port modulo the shard count. */
        PORT,
        /** Every connection goes to {@code fixedShard}. */
        FIXED
    }

    public ListenOptions {
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog must be positive");
        }
        if (balancing == null) {
            throw new IllegalArgumentException("balancing is null");
        }
        if (fixedShard < 0) {
            throw new IllegalArgumentException("fixed shard must not be negative");
        }
    }

    /** @return backlog 1024, reuse address, dual stack, connection distribution. */
    public static ListenOptions defaults() {
        return new ListenOptions(1024, true, true, Balancing.CONNECTION_DISTRIBUTION, 0);
    }

    /** @return these options with another accept-queue length. */
    public ListenOptions withBacklog(int newBacklog) {
        return new ListenOptions(newBacklog, reuseAddress, dualStack, balancing, fixedShard);
    }

    /** @return these options with dual-stack listening on "::" on or off (off: IPv6 only). */
    public ListenOptions withDualStack(boolean on) {
        return new ListenOptions(backlog, reuseAddress, on, balancing, fixedShard);
    }

    /** @return these options with another balancing policy. */
    public ListenOptions withBalancing(Balancing b) {
        return new ListenOptions(backlog, reuseAddress, dualStack, b, fixedShard);
    }

    /** @return these options with {@link Balancing#FIXED} to {@code shard}. */
    public ListenOptions withFixedShard(int shard) {
        return new ListenOptions(backlog, reuseAddress, dualStack, Balancing.FIXED, shard);
    }
}
