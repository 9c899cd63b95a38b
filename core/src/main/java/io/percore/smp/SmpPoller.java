package io.percore.smp;

import io.percore.core.Poller;

/**
 * One shard's end of every link: drains requests sent to it and completions of its own calls, then publishes
 * what it staged meanwhile, each reactor turn. Shard thread only.
 */
final class SmpPoller implements Poller {
    /** Calls taken from one ring per turn, so one busy sender cannot monopolise a turn. */
    private static final int DRAIN_LIMIT = 256;

    final int shardId;
    /** outgoing[j]: this shard's link to shard j (null for itself). */
    final SmpQueue[] outgoing;
    /** incoming[i]: shard i's link to this shard (null for itself). */
    final SmpQueue[] incoming;

    SmpPoller(int shardId, SmpQueue[] outgoing, SmpQueue[] incoming) {
        this.shardId = shardId;
        this.outgoing = outgoing;
        this.incoming = incoming;
    }

    @Override
    public boolean poll() {
        boolean work = false;
        for (SmpQueue q : incoming) {
            if (q != null && q.drainRequests(DRAIN_LIMIT) > 0) {
                work = true;
            }
        }
        for (SmpQueue q : outgoing) {
            if (q != null) {
                if (q.completions.drain(q.processCompletion, DRAIN_LIMIT) > 0) {
                    work = true;
                    q.admitWaiting();
                }
                q.flushRequests();
            }
        }
        for (SmpQueue q : incoming) {
            if (q != null) {
                q.flushCompletions();
            }
        }
        return work;
    }

    @Override
    public boolean tryEnterIdle() {
        for (SmpQueue q : incoming) {
            if (q != null && !q.requests.isEmpty()) {
                return false;
            }
        }
        for (SmpQueue q : outgoing) {
            if (q != null && (!q.completions.isEmpty() || q.requests.staged() > 0)) {
                return false;
            }
        }
        return true;
    }
}
