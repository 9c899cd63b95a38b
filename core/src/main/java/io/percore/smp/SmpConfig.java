package io.percore.smp;

import io.percore.core.ReactorConfig;
import java.util.List;

/**
 * How many shards to start and where.
 *
 * @param cpus       the CPU of each shard, in shard order (its size is the shard count)
 * @param pin        pin each shard to its CPU (off with {@code --overprovisioned}, where shards share CPUs)
 * @param reactor    each reactor's settings
 * @param ringSize   slots per cross-shard ring (a power of two): the in-flight limit per shard pair
 */
public record SmpConfig(List<Integer> cpus, boolean pin, ReactorConfig reactor, int ringSize) {
    public static final int DEFAULT_RING_SIZE = 256;

    public SmpConfig {
        cpus = List.copyOf(cpus);
        if (cpus.isEmpty()) {
            throw new IllegalArgumentException("at least one shard is needed");
        }
        if (ringSize < 2 || Integer.bitCount(ringSize) != 1) {
            throw new IllegalArgumentException("ring size must be a power of two >= 2, not " + ringSize);
        }
    }

    /** @return {@code shards} shards on the first CPUs this process may use, pinned unless there are too few. */
    public static SmpConfig of(int shards, ReactorConfig reactor) {
        List<Integer> allowed = CpuSet.allowed();
        if (shards < 1) {
            throw new IllegalArgumentException("--smp must be at least 1, not " + shards);
        }
        boolean pin = shards <= allowed.size();
        Integer[] cpus = new Integer[shards];
        for (int i = 0; i < shards; i++) {
            cpus[i] = allowed.get(i % allowed.size());
        }
        return new SmpConfig(List.of(cpus), pin, reactor, DEFAULT_RING_SIZE);
    }

    /** @return the number of shards. */
    public int shards() {
        return cpus.size();
    }

    public SmpConfig withRingSize(int size) {
        return new SmpConfig(cpus, pin, reactor, size);
    }
}
