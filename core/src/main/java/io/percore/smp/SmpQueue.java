package io.percore.smp;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import java.util.ArrayDeque;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The link from one shard (the sender) to another (the target): a request ring the sender fills and the target
 * drains, and a completion ring going back. At most {@link #capacity()} calls are in flight on a link; further
 * calls wait, in order, on the sender until completions free room — back-pressure that neither fails nor lets
 * a ring grow. Because in-flight calls never exceed the capacity, neither ring can overflow.
 *
 * <p>Sender-side fields are touched by the sender's thread only; target-side ones by the target's only.
 */
final class SmpQueue {
    /** Publish early when a batch grows this big, so a long task does not hold many calls back. */
    private static final int BATCH = 16;

    final int from;
    final int to;
    final Reactor fromReactor;
    final Reactor toReactor;
    final SpscRing<SmpMessage> requests;
    final SpscRing<SmpMessage> completions;

    // Sender side.
    private int inFlight;
    private final ArrayDeque<SmpMessage> waiting = new ArrayDeque<>();
    private SmpMessage free;
    private long sent;
    private long maxWaiting;

    // Target side.
    private long received;
    private final Consumer<SmpMessage> processRequest = this::processRequest;
    final Consumer<SmpMessage> processCompletion = this::processCompletion;

    SmpQueue(int from, int to, Reactor fromReactor, Reactor toReactor, int capacity) {
        this.from = from;
        this.to = to;
        this.fromReactor = fromReactor;
        this.toReactor = toReactor;
        this.requests = new SpscRing<>(capacity);
        this.completions = new SpscRing<>(capacity);
    }

    int capacity() {
        return requests.capacity();
    }

    // ---------------------------------------------------------------- sender side

    @SuppressWarnings("unchecked")
    <T> Future<T> submit(Supplier<? extends Future<T>> work) {
        SmpMessage m = free;
        if (m != null) {
            free = m.nextFree;
            m.nextFree = null;
        } else {
            m = new SmpMessage();
        }
        Promise<Object> p = new Promise<>();
        m.work = work;
        m.promise = p;
        if (inFlight < requests.capacity() && waiting.isEmpty()) {
            send(m);
        } else {
            waiting.addLast(m);
            maxWaiting = Math.max(maxWaiting, waiting.size());
        }
        return (Future<T>) (Future<?>) p;
    }

    private void send(SmpMessage m) {
        if (!requests.stage(m)) {
            throw new IllegalStateException("smp ring " + from + "->" + to + " overflowed with " + inFlight + " in flight");
        }
        inFlight++;
        sent++;
        if (requests.staged() >= BATCH) {
            flushRequests();
        }
    }

    /** Publishes staged requests and wakes the target if it sleeps. Sender thread. */
    boolean flushRequests() {
        if (requests.publish() > 0) {
            toReactor.wakeup();
            return true;
        }
        return false;
    }

    private void processCompletion(SmpMessage m) {
        inFlight--;
        Promise<Object> p = m.promise;
        Throwable error = m.error;
        Object value = m.value;
        m.clear();
        m.nextFree = free;
        free = m;
        if (error != null) {
            p.setException(error);
        } else {
            p.setValue(value);
        }
    }

    /** Sends waiting calls while there is room. Sender thread. */
    void admitWaiting() {
        while (!waiting.isEmpty() && inFlight < requests.capacity()) {
            send(waiting.pollFirst());
        }
    }

    int inFlight() {
        return inFlight;
    }

    int waiting() {
        return waiting.size();
    }

    long sent() {
        return sent;
    }

    long maxWaiting() {
        return maxWaiting;
    }

    // ---------------------------------------------------------------- target side

    int drainRequests(int limit) {
        return requests.drain(processRequest, limit);
    }

    private void processRequest(SmpMessage m) {
        received++;
        Future<?> f;
        try {
            Supplier<? extends Future<?>> w = m.work;
            f = w.get();
            if (f == null) {
                f = Future.failed(new NullPointerException("submitTo work returned a null future"));
            }
        } catch (Throwable t) {
            f = Future.failed(t);
        }
        if (f.isDone()) {
            complete(m, f);
        } else {
            f.onComplete((v, e) -> {
                m.value = v;
                m.error = e;
                stageCompletion(m);
            });
        }
    }

    private void complete(SmpMessage m, Future<?> f) {
        Throwable e = f.failure();
        if (e != null) {
            m.error = e;
        } else {
            m.value = f.getNow();
        }
        stageCompletion(m);
    }

    private void stageCompletion(SmpMessage m) {
        if (!completions.stage(m)) {
            throw new IllegalStateException("smp completion ring " + to + "->" + from + " overflowed");
        }
    }

    /** Publishes staged completions and wakes the sender if it sleeps. Target thread. */
    boolean flushCompletions() {
        if (completions.publish() > 0) {
            fromReactor.wakeup();
            return true;
        }
        return false;
    }

    long received() {
        return received;
    }
}
