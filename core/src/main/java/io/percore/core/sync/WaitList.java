package io.percore.core.sync;

/**
 * An intrusive FIFO of waiters: each waiter is its own list node, so adding, taking the head and removing one
 * from the middle (a waiter whose timeout fired, a subscription cancelled) are O(1) and allocate nothing beyond
 * the waiter itself. A node belongs to at most one list at a time. Shard-local, like its owner; no checks here.
 *
 * @param <N> the waiter type
 */
final class WaitList<N extends WaitList.Node<N>> {
    /** A waiter that can sit in one {@link WaitList}. */
    abstract static class Node<N extends Node<N>> {
        N prev;
        N next;
        WaitList<N> list;

        /** @return true while the node is in a list (still waiting). */
        final boolean isLinked() {
            return list != null;
        }
    }

    private N head;
    private N tail;
    private int size;

    /** Appends {@code n}, which must not be in any list. */
    void addLast(N n) {
        assert n.list == null : "waiter already queued";
        n.list = this;
        n.prev = tail;
        n.next = null;
        if (tail == null) {
            head = n;
        } else {
            tail.next = n;
        }
        tail = n;
        size++;
    }

    /** @return the oldest waiter, or null when empty. */
    N peekFirst() {
        return head;
    }

    /** @return the waiter after {@code n} in this list, or null. */
    N next(N n) {
        return n.next;
    }

    /** Removes and returns the oldest waiter, or null when empty. */
    N pollFirst() {
        N n = head;
        if (n != null) {
            unlink(n);
        }
        return n;
    }

    /** @return true when {@code n} was in this list and is now removed; false when it was not in it. */
    boolean remove(N n) {
        if (n.list != this) {
            return false;
        }
        unlink(n);
        return true;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return head == null;
    }

    private void unlink(N n) {
        N p = n.prev;
        N x = n.next;
        if (p == null) {
            head = x;
        } else {
            p.next = x;
        }
        if (x == null) {
            tail = p;
        } else {
            x.prev = p;
        }
        n.prev = null;
        n.next = null;
        n.list = null;
        size--;
    }
}
