package io.percore.core.sync;

import io.percore.core.Future;
import io.percore.core.Promise;
import java.util.function.Supplier;

/**
 * Orderly stop for a shard-local service: work {@link #enter()}s the gate and {@link #leave()}s it when done;
 * {@link #close()} refuses new entries and returns a future that resolves once every entered piece of work has
 * left. A server closes its gate before it frees what in-flight requests use. Shard thread only; no locks.
 */
public final class Gate {
    private long inside;
    private Promise<Void> closed;

    /** Thrown by {@link #enter()} after {@link #close()}: the service is stopping. */
    public static final class ClosedException extends IllegalStateException {
        public ClosedException() {
            super("gate closed: the service is stopping and takes no new work");
        }
    }

    /**
     * Registers one piece of work.
     *
     * @throws ClosedException when the gate is closed
     */
    public void enter() {
        if (closed != null) {
            throw new ClosedException();
        }
        inside++;
    }

    /** @return true when it entered; false (and nothing changed) when the gate is closed. */
    public boolean tryEnter() {
        if (closed != null) {
            return false;
        }
        inside++;
        return true;
    }

    /** Ends one piece of work registered with {@link #enter()}. */
    public void leave() {
        if (inside <= 0) {
            throw new IllegalStateException("Gate.leave() without a matching enter()");
        }
        inside--;
        if (inside == 0 && closed != null) {
            closed.trySetValue(null);
        }
    }

    /**
     * Runs {@code work} inside the gate: enters, runs it, leaves when its future is done.
     *
     * @return the work's future, or a future failed with {@link ClosedException} when the gate is closed
     */
    public <T> Future<T> run(Supplier<? extends Future<T>> work) {
        if (!tryEnter()) {
            return Future.failed(new ClosedException());
        }
        return Future.of(work).finallyDo(this::leave);
    }

    /**
     * Closes the gate: no new entries.
     *
     * @return a future done once all work inside has left
     * @throws IllegalStateException when called twice
     */
    public Future<Void> close() {
        if (closed != null) {
            throw new IllegalStateException("gate already closed");
        }
        closed = new Promise<>();
        if (inside == 0) {
            closed.setValue(null);
        }
        return closed;
    }

    /** @return true once {@link #close()} was called. */
    public boolean isClosed() {
        return closed != null;
    }

    /** @return how many pieces of work are inside. */
    public long inside() {
        return inside;
    }
}
