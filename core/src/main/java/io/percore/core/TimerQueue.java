package io.percore.core;

import java.util.Arrays;

/** A shard's armed timers: a binary min-heap on (deadline, arm order), with O(log n) cancel. */
final class TimerQueue {
    private Timer[] heap = new Timer[64];
    private int size;
    private long nextSequence;

    void schedule(Timer t, long deadline) {
        if (t.heapIndex >= 0) {
            removeAt(t.heapIndex);
        }
        t.deadline = deadline;
        t.sequence = nextSequence++;
        if (size == heap.length) {
            heap = Arrays.copyOf(heap, size * 2);
        }
        heap[size] = t;
        t.heapIndex = size;
        size++;
        siftUp(t.heapIndex);
    }

    boolean remove(Timer t) {
        if (t.heapIndex < 0) {
            return false;
        }
        removeAt(t.heapIndex);
        return true;
    }

    /** @return the earliest deadline, or Long.MAX_VALUE when none is armed. */
    long nextDeadline() {
        return size == 0 ? Long.MAX_VALUE : heap[0].deadline;
    }

    int size() {
        return size;
    }

    /** Fires every timer due at {@code now}; periodic ones are re-armed first. @return true when any fired. */
    boolean expire(long now) {
        boolean fired = false;
        while (size > 0 && heap[0].deadline - now <= 0) {
            Timer t = heap[0];
            removeAt(0);
            if (t.period > 0) {
                long next = t.deadline + t.period;
                schedule(t, next - now <= 0 ? now + t.period : next);
            }
            fired = true;
            try {
                t.fire();
            } catch (Throwable e) {
                Reactor.reportUncaught("timer callback", e);
            }
        }
        return fired;
    }

    private void removeAt(int i) {
        Timer removed = heap[i];
        size--;
        if (i != size) {
            Timer last = heap[size];
            heap[i] = last;
            last.heapIndex = i;
            siftDown(i);
            if (heap[i] == last) {
                siftUp(i);
            }
        }
        heap[size] = null;
        removed.heapIndex = -1;
    }

    private static boolean less(Timer a, Timer b) {
        long d = a.deadline - b.deadline;
        return d < 0 || (d == 0 && a.sequence < b.sequence);
    }

    private void siftUp(int i) {
        Timer t = heap[i];
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            Timer p = heap[parent];
            if (!less(t, p)) {
                break;
            }
            heap[i] = p;
            p.heapIndex = i;
            i = parent;
        }
        heap[i] = t;
        t.heapIndex = i;
    }

    private void siftDown(int i) {
        Timer t = heap[i];
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < size && less(heap[right], heap[child])) {
                child = right;
            }
            if (!less(heap[child], t)) {
                break;
            }
            heap[i] = heap[child];
            heap[i].heapIndex = i;
            i = child;
        }
        heap[i] = t;
        t.heapIndex = i;
    }
}
