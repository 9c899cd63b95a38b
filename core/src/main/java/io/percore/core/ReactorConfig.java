package io.percore.core;

import io.percore.reactor.ReactorBackends;
import java.time.Duration;

/**
 * How each shard's reactor behaves, from the command line (see {@code AppTemplate}).
 *
 * @param taskQuotaNanos    how long tasks run before the reactor polls I/O, queues and timers ({@code --task-quota-ms})
 * @param idlePollNanos     how long an idle reactor spins before it sleeps ({@code --idle-poll-time-us})
 * @param pollMode          never sleep: spin on the backend ({@code --poll-mode})
 * @param blockedNotifyNanos a task running longer than this is reported as a stall ({@code --blocked-reactor-notify-ms})
 * @param backend           the reactor backend's name ({@code --reactor-backend})
 * @param memoryPerShard    each shard's memory-pool limit in bytes
 */
public record ReactorConfig(long taskQuotaNanos, long idlePollNanos, boolean pollMode, long blockedNotifyNanos,
                            String backend, long memoryPerShard) {

    /** The defaults Seastar users know: 0.5 ms quota, 200 µs idle poll, 25 ms stall notice. */
    public static ReactorConfig defaults() {
        return new ReactorConfig(500_000L, 200_000L, false, 25_000_000L, ReactorBackends.defaultName(),
                256L << 20);
    }

    public ReactorConfig {
        if (taskQuotaNanos <= 0) {
            throw new IllegalArgumentException("task quota must be positive");
        }
        if (idlePollNanos < 0) {
            throw new IllegalArgumentException("idle poll time must not be negative");
        }
        if (blockedNotifyNanos <= 0) {
            throw new IllegalArgumentException("blocked-reactor notify time must be positive");
        }
        if (memoryPerShard <= 0) {
            throw new IllegalArgumentException("memory per shard must be positive");
        }
        ReactorBackends.validate(backend);
    }

    public ReactorConfig withTaskQuota(Duration d) {
        return new ReactorConfig(d.toNanos(), idlePollNanos, pollMode, blockedNotifyNanos, backend, memoryPerShard);
    }

    public ReactorConfig withBlockedNotify(Duration d) {
        return new ReactorConfig(taskQuotaNanos, idlePollNanos, pollMode, d.toNanos(), backend, memoryPerShard);
    }

    public ReactorConfig withMemoryPerShard(long bytes) {
        return new ReactorConfig(taskQuotaNanos, idlePollNanos, pollMode, blockedNotifyNanos, backend, bytes);
    }

    public ReactorConfig withIdlePoll(Duration d) {
        return new ReactorConfig(taskQuotaNanos, d.toNanos(), pollMode, blockedNotifyNanos, backend, memoryPerShard);
    }
}
