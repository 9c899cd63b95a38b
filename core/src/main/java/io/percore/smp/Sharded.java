package io.percore.smp;

import io.percore.core.Future;
import io.percore.core.Shard;
import io.percore.core.sync.Gate;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * One instance of a service per shard (Seastar's {@code sharded<S>}): each shard's instance is created on that
 * shard, used only there, and reached from elsewhere only by sending work to its shard. Calls through
 * {@link #invokeOn}, {@link #invokeOnAll} and {@link #mapReduce} pass through a per-shard {@link Gate}, so
 * {@link #stop()} can wait for them before it stops the instances — in reverse shard order, last shard first.
 *
 * <p>Methods run on shard threads; {@link #local()} returns the calling shard's instance.
 *
 * @param <S> the service type; if it implements {@link Service}, its {@code stop()} is called on stop
 */
public final class Sharded<S> {
    private final Object[] instances;
    private final Gate[] gates;

    private Sharded(int n) {
        instances = new Object[n];
        gates = new Gate[n];
    }

    /**
     * Creates {@code factory.apply(shardId)} on every shard, each on its own shard. Shard thread only.
     *
     * @return the service once every instance exists; if any factory throws, the instances already made are
     * stopped and the future fails with that exception
     */
    public static <S> Future<Sharded<S>> start(IntFunction<? extends S> factory) {
        int n = Smp.count();
        Sharded<S> sharded = new Sharded<>(n);
        return Smp.invokeOnAll(() -> {
            int id = Shard.currentId();
            sharded.instances[id] = factory.apply(id);
            sharded.gates[id] = new Gate();
            return Future.done();
        }).flatMap(v -> Future.ready(sharded)).recoverWith(e -> sharded.stopCreated().flatMap(v -> Future.failed(e)));
    }

    /** @return the calling shard's instance. Shard thread only. */
    @SuppressWarnings("unchecked")
    public S local() {
        int id = Shard.currentId();
        if (id < 0) {
            throw new IllegalStateException("Sharded.local() needs a shard thread");
        }
        S s = (S) instances[id];
        if (s == null) {
            throw new IllegalStateException("no instance on shard " + id + " (not started, or stopped)");
        }
        return s;
    }

    /** Runs {@code fn} on shard {@code shard}'s instance, inside its gate. */
    @SuppressWarnings("unchecked")
    public <R> Future<R> invokeOn(int shard, Function<? super S, ? extends Future<R>> fn) {
        return Smp.submitTo(shard, () -> {
            Gate g = gates[shard];
            S s = (S) instances[shard];
            if (g == null || s == null) {
                return Future.failed(new IllegalStateException("service on shard " + shard + " is stopped"));
            }
            return g.run(() -> fn.apply(s));
        });
    }

    /** Runs {@code fn} on every shard's instance; done when all are. */
    @SuppressWarnings("unchecked")
    public Future<Void> invokeOnAll(Function<? super S, ? extends Future<?>> fn) {
        return Smp.invokeOnAll(() -> {
            int id = Shard.currentId();
            Gate g = gates[id];
            if (g == null) {
                return Future.failed(new IllegalStateException("service on shard " + id + " is stopped"));
            }
            return g.run(() -> (Future<Object>) fn.apply((S) instances[id]));
        });
    }

    /** Maps every shard's instance and folds the values on the calling shard. */
    @SuppressWarnings("unchecked")
    public <R> Future<R> mapReduce(Function<? super S, ? extends Future<R>> mapper, R initial, BinaryOperator<R> reducer) {
        return Smp.mapReduce(() -> {
            int id = Shard.currentId();
            Gate g = gates[id];
            if (g == null) {
                return Future.failed(new IllegalStateException("service on shard " + id + " is stopped"));
            }
            return g.run(() -> mapper.apply((S) instances[id]));
        }, initial, reducer);
    }

    /**
     * Stops the service: shard by shard, last first, closes the shard's gate (no new calls), waits for the calls
     * inside, then stops the instance ({@link Service#stop()}) and drops it. Shard thread only.
     */
    public Future<Void> stop() {
        int n = instances.length;
        return stopFrom(n - 1);
    }

    private Future<Void> stopFrom(int shard) {
        if (shard < 0) {
            return Future.done();
        }
        return Smp.submitTo(shard, () -> stopLocal(shard)).flatMap(v -> stopFrom(shard - 1));
    }

    private Future<Void> stopLocal(int shard) {
        Gate g = gates[shard];
        if (g == null || g.isClosed()) {
            return Future.done();
        }
        return g.close().flatMap(v -> {
            Object s = instances[shard];
            instances[shard] = null;
            return s instanceof Service svc ? svc.stop() : Future.done();
        });
    }

    /** Stops whatever instances a failed start made. */
    private Future<Void> stopCreated() {
        return Smp.invokeOnAll(() -> {
            int id = Shard.currentId();
            return gates[id] == null ? Future.done() : stopLocal(id);
        });
    }
}
