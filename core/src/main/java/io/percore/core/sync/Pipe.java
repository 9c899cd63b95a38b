package io.percore.core.sync;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * A bounded FIFO of items between tasks on one shard, with back-pressure: a producer's {@link #write} is ready
 * while there is room and pending while the pipe is full, until a reader makes room; a consumer's {@link #read}
 * is ready while items are queued and pending while the pipe is empty, until a writer brings one. It is how
 * a fast producer is slowed to the pace of its consumer without unbounded buffering.
 *
 * <p><b>Order.</b> Items come out in the order their writes were called, pending writes included. Several
 * pending writers, and several pending readers, are each served first come, first served.
 *
 * <p><b>End of stream is {@code null}.</b> Items must not be null, so a read's {@code null} means only one
 * thing: the pipe was {@linkplain #close() closed} and every item written before the close has been read.
 * Every later read returns {@code null} too.
 *
 * <p><b>Closing and aborting.</b> {@link #close()} is the writers' end: writes already pending still deliver
 * their items (they were written before the close), later writes fail with {@link ClosedException}, and readers
 * see end of stream once the queue is drained. {@link #abort(Throwable)} is the emergency stop for both sides:
 * queued items are dropped and every pending and later read and write fails with the given error.
 *
 * <p><b>Capacity.</b> A capacity of 0 makes a rendezvous: a write completes only when a reader takes its item.
 *
 * <p>Shard-local: build and use it on one shard thread; with {@code -ea} another thread's touch throws
 * {@link AssertionError}. To connect shards, put a pipe on the consumer's shard and have producers submit their
 * writes there. No locks, no atomics.
 *
 * @param <T> the item type; items are never null
 */
public final class Pipe<T> {
    private final Reactor owner = ShardLocal.owner();
    private final int capacity;
    private final ArrayDeque<T> items;
    private final WaitList<Writer<T>> writers = new WaitList<>();
    private final WaitList<Reader<T>> readers = new WaitList<>();
    private boolean closed;
    private Throwable aborted;

    /** Fails a write to a pipe that was {@linkplain #close() closed}. */
    public static final class ClosedException extends IllegalStateException {
        /** Creates the exception: "pipe closed". */
        public ClosedException() {
            super("pipe closed: its writers are done and it takes no more items");
        }
    }

    /** A write waiting for room: its item is not in {@link #items} yet. */
    private static final class Writer<T> extends WaitList.Node<Writer<T>> {
        final T item;
        final Promise<Void> promise = new Promise<>();

        Writer(T item) {
            this.item = item;
        }
    }

    /** A read waiting for an item. */
    private static final class Reader<T> extends WaitList.Node<Reader<T>> {
        final Promise<T> promise = new Promise<>();
    }

    /**
     * Creates a pipe holding at most {@code capacity} items (0: writers wait for readers). The calling shard
     * owns it.
     *
     * @throws IllegalArgumentException when {@code capacity} is negative
     */
    public Pipe(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must not be negative: " + capacity);
        }
        this.capacity = capacity;
        this.items = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    /**
     * Writes {@code item}: hands it to the longest-waiting reader, or queues it when there is room, or else
     * waits, first come first served, until a read makes room. Owner shard only.
     *
     * @return a ready future when the item was taken at once; a pending one completed once it is queued or read;
     * a failed one ({@link ClosedException} after {@link #close()}, the abort error after {@link #abort}), in
     * which case the item was not taken
     * @throws NullPointerException when {@code item} is null
     */
    public Future<Void> write(T item) {
        assert ShardLocal.isOwner(owner, this);
        Objects.requireNonNull(item, "item (null is the end-of-stream mark)");
        if (aborted != null) {
            return Future.failed(aborted);
        }
        if (closed) {
            return Future.failed(new ClosedException());
        }
        if (offer(item)) {
            return Future.done();
        }
        Writer<T> w = new Writer<>(item);
        writers.addLast(w);
        return w.promise;
    }

    /**
     * Writes {@code item} only when that needs no waiting: a reader waits or there is room (and no earlier
     * write waits, so it never jumps the queue). Owner shard only.
     *
     * @return true when the item was taken; false when the pipe is full
     * @throws NullPointerException when {@code item} is null
     * @throws ClosedException after {@link #close()}
     * @throws IllegalStateException after {@link #abort}, with the abort error as cause
     */
    public boolean tryWrite(T item) {
        assert ShardLocal.isOwner(owner, this);
        Objects.requireNonNull(item, "item (null is the end-of-stream mark)");
        if (aborted != null) {
            throw new IllegalStateException("pipe aborted", aborted);
        }
        if (closed) {
            throw new ClosedException();
        }
        return offer(item);
    }

    /**
     * Reads the oldest item, waiting (first come, first served) while the pipe is empty. Taking an item makes
     * room, which lets the longest-waiting writer in. Owner shard only.
     *
     * @return a future of the item; of {@code null} at end of stream (closed and drained); failed with the abort
     * error after {@link #abort}
     */
    public Future<T> read() {
        assert ShardLocal.isOwner(owner, this);
        if (aborted != null) {
            return Future.failed(aborted);
        }
        T item = poll();
        if (item != null || closed) {
            return Future.ready(item);
        }
        Reader<T> r = new Reader<>();
        readers.addLast(r);
        return r.promise;
    }

    /**
     * Takes the oldest item when one is available now. Owner shard only.
     *
     * @return the item, or null when none is available (empty, or end of stream: see {@link #isEndOfStream()})
     * @throws IllegalStateException after {@link #abort}, with the abort error as cause
     */
    public T tryRead() {
        assert ShardLocal.isOwner(owner, this);
        if (aborted != null) {
            throw new IllegalStateException("pipe aborted", aborted);
        }
        return poll();
    }

    /**
     * Ends the stream: later writes fail with {@link ClosedException}; queued items and writes pending now are
     * still delivered, then readers get {@code null}. Readers waiting now (the pipe is empty) get {@code null}
     * at once. Idempotent; does nothing after {@link #abort}. Owner shard only.
     */
    public void close() {
        assert ShardLocal.isOwner(owner, this);
        if (closed || aborted != null) {
            return;
        }
        closed = true;
        // Readers wait only when nothing is queued and no writer waits: for them the stream has ended.
        Reader<T> r;
        while ((r = readers.pollFirst()) != null) {
            r.promise.setValue(null);
        }
    }

    /**
     * Aborts both sides: drops queued items, fails every pending read and write with {@code error} now (readers
     * first, each side in queue order) and every later one too. The first abort's error stays; later calls do
     * nothing. Owner shard only.
     */
    public void abort(Throwable error) {
        assert ShardLocal.isOwner(owner, this);
        Objects.requireNonNull(error, "error");
        if (aborted != null) {
            return;
        }
        aborted = error;
        items.clear();
        Reader<T> r;
        while ((r = readers.pollFirst()) != null) {
            r.promise.setException(error);
        }
        Writer<T> w;
        while ((w = writers.pollFirst()) != null) {
            w.promise.setException(error);
        }
    }

    /** @return the most items it queues. */
    public int capacity() {
        return capacity;
    }

    /** @return how many items are queued (not counting those of pending writes). Owner shard only. */
    public int size() {
        assert ShardLocal.isOwner(owner, this);
        return items.size();
    }

    /** @return how many writes wait for room. Owner shard only. */
    public int pendingWriters() {
        assert ShardLocal.isOwner(owner, this);
        return writers.size();
    }

    /** @return how many reads wait for an item. Owner shard only. */
    public int pendingReaders() {
        assert ShardLocal.isOwner(owner, this);
        return readers.size();
    }

    /** @return true once {@link #close()} was called. Owner shard only. */
    public boolean isClosed() {
        assert ShardLocal.isOwner(owner, this);
        return closed;
    }

    /** @return true when closed and every item has been read: reads now return {@code null}. Owner shard only. */
    public boolean isEndOfStream() {
        assert ShardLocal.isOwner(owner, this);
        return closed && aborted == null && items.isEmpty() && writers.isEmpty();
    }

    /** @return true once {@link #abort} was called. Owner shard only. */
    public boolean isAborted() {
        assert ShardLocal.isOwner(owner, this);
        return aborted != null;
    }

    /** Hands {@code item} to a waiting reader or queues it when there is room; false when full. */
    private boolean offer(T item) {
        Reader<T> r = readers.pollFirst();
        if (r != null) {
            r.promise.setValue(item);
            return true;
        }
        // Writers wait only while the queue is full, so room here means nobody is ahead of this item.
        if (items.size() < capacity) {
            items.addLast(item);
            return true;
        }
        return false;
    }

    /** Takes the oldest item (a waiting writer's when the queue is empty at capacity 0), admitting one writer. */
    private T poll() {
        T item = items.pollFirst();
        Writer<T> w = writers.pollFirst();
        if (w != null) {
            if (item == null) {
                item = w.item; // capacity 0: straight from the writer
            } else {
                items.addLast(w.item);
            }
            w.promise.setValue(null);
        }
        return item;
    }

    @Override
    public String toString() {
        return "Pipe[" + items.size() + "/" + capacity + ", writers=" + writers.size() + ", readers="
                + readers.size() + (aborted != null ? ", aborted" : closed ? ", closed" : "") + "]";
    }
}
