package io.percore.smp;

import io.percore.core.Future;
import io.percore.core.Promise;
import java.util.function.Supplier;

/**
 * One cross-shard call: travels to the target on the request ring, and back with its outcome on the completion
 * ring, then is reused by the sender. Fields are written by one shard and read by the other only across a
 * ring's release/acquire hand-off.
 */
final class SmpMessage {
    Supplier<? extends Future<?>> work;
    Object value;
    Throwable error;
    /** The caller's promise: touched only on the sending shard. */
    Promise<Object> promise;
    SmpMessage nextFree;

    void clear() {
        work = null;
        value = null;
        error = null;
        promise = null;
    }
}
