package io.percore.memory;

/**
 * A shard's pool cannot satisfy an allocation: the request would take the shard past its share of
 * memory ({@code --memory} divided among shards), or the kernel refused to map more (then the cause is
 * the failed system call's {@link io.percore.sys.ErrnoException}).
 *
 * <p>Unchecked, as with {@link OutOfMemoryError}'s role on the heap; servers catch it at the point where
 * they can shed load (refuse a request, close a connection) rather than at every allocation.
 */
public class ShardMemoryExhaustedException extends RuntimeException {
    private final int shardId;
    private final long requested;
    private final long used;
    private final long limit;

    /**
     * Creates the exception; any thread (pools raise it on their owner thread).
     *
     * @param shardId the shard whose pool refused
     * @param requested bytes the caller asked for
     * @param used bytes the pool had handed out at the time
     * @param limit the pool's limit in bytes
     * @param reason why, completing the message (e.g. "would exceed the limit")
     * @param cause the failed system call, or null
     */
    public ShardMemoryExhaustedException(int shardId, long requested, long used, long limit, String reason,
                                         Throwable cause) {
        super("shard " + shardId + " cannot allocate " + requested + " bytes: " + reason + " (used " + used
                + " of limit " + limit + " bytes)", cause);
        this.shardId = shardId;
        this.requested = requested;
        this.used = used;
        this.limit = limit;
    }

    /** @return the shard whose pool refused. Any thread. */
    public int shardId() {
        return shardId;
    }

    /** @return bytes the caller asked for. Any thread. */
    public long requested() {
        return requested;
    }

    /** @return bytes the pool had handed out when it refused. Any thread. */
    public long used() {
        return used;
    }

    /** @return the pool's limit in bytes. Any thread. */
    public long limit() {
        return limit;
    }
}
