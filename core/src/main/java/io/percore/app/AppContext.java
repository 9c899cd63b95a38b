package io.percore.app;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Shard;
import io.percore.smp.Smp;
import java.util.ArrayList;
import java.util.List;

/**
 * What a running program gets from {@link AppTemplate}: its parsed options, the running {@link Smp}, and a way to
 * learn that it has been asked to stop (SIGINT, SIGTERM or {@link AppTemplate#requestStop()}).
 *
 * <p>The template creates the context on shard 0 and calls the program's main function there; use it on shard 0
 * (the options and {@link #smp()} may be read from any thread once the program runs).
 */
public final class AppContext {
    private final String name;
    private final AppOptions options;
    private final List<Object> extraOptions;
    private final Smp smp;
    /** Futures handed out by {@link #stopRequested()} and still pending; shard 0 only. */
    private final List<Promise<Void>> stopWaiters = new ArrayList<>();
    private boolean stopRequested;

    AppContext(String name, AppOptions options, List<Object> extraOptions, Smp smp) {
        this.name = name;
        this.options = options;
        this.extraOptions = List.copyOf(extraOptions);
        this.smp = smp;
    }

    /** @return the program's name, as given to {@link AppTemplate#builder(String)}. */
    public String name() {
        return name;
    }

    /** @return the standard start-up options as parsed. */
    public AppOptions options() {
        return options;
    }

    /**
     * @return the program's own options object of type {@code type}, as passed to
     * {@link AppTemplate.Builder#options(Object...)} and filled from the command line
     * @throws IllegalArgumentException when no options object of that type was registered
     */
    public <T> T options(Class<T> type) {
        for (Object o : extraOptions) {
            if (type.isInstance(o)) {
                return type.cast(o);
            }
        }
        throw new IllegalArgumentException("no options object of type " + type.getName() + " was given to the template");
    }

    /** @return the running shards. */
    public Smp smp() {
        return smp;
    }

    /**
     * @return a future, on shard 0, that becomes ready when the program is asked to stop (at once if it has been
     * already). Each call returns a future of its own, so several parts of the program may wait. Shard 0 only.
     */
    public Future<Void> stopRequested() {
        checkShard0();
        if (stopRequested) {
            return Future.done();
        }
        Promise<Void> p = new Promise<>();
        stopWaiters.add(p);
        return p;
    }

    /** @return true once the program has been asked to stop. Shard 0 only. */
    public boolean isStopRequested() {
        checkShard0();
        return stopRequested;
    }

    /** Marks the stop request and wakes every waiter; idempotent. Shard 0 only (the template calls it there). */
    void requestStop() {
        checkShard0();
        if (stopRequested) {
            return;
        }
        stopRequested = true;
        List<Promise<Void>> waiters = new ArrayList<>(stopWaiters);
        stopWaiters.clear();
        for (Promise<Void> p : waiters) {
            p.setValue(null);
        }
    }

    private static void checkShard0() {
        if (Shard.currentId() != 0) {
            throw new IllegalStateException("the stop request lives on shard 0; this is "
                    + (Shard.currentId() < 0 ? "not a shard thread" : "shard " + Shard.currentId()));
        }
    }
}
