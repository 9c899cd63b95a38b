package io.percore.smp;

import io.percore.core.Future;

/** A per-shard service instance that needs an orderly stop (see {@link Sharded#stop()}). */
public interface Service {
    /** Releases what this shard's instance holds. Runs on its shard, after its in-flight calls finished. */
    Future<Void> stop();
}
