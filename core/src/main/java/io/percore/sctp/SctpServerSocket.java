package io.percore.sctp;

import io.percore.core.Future;
import io.percore.core.Promise;
import java.util.ArrayDeque;

/**
 * A listening SCTP port on one shard's {@link SctpStack}: associations that completed the four-way handshake
 * wait here until {@link #accept()} takes them. Owner shard only.
 */
public final class SctpServerSocket {
    private final SctpStack stack;
    private final int port;
    final InitOptions options;
    private final int backlog;
    private final ArrayDeque<SctpAssociation> ready = new ArrayDeque<>();
    private Promise<SctpAssociation> waiter;
    private SctpException.Closed closed;

    SctpServerSocket(SctpStack stack, int port, InitOptions options, int backlog) {
        this.stack = stack;
        this.port = port;
        this.options = options;
        this.backlog = backlog;
    }

    /** @return the local SCTP port. */
    public int port() {
        return port;
    }

    /**
     * @return the next established association (already ESTABLISHED, its AssociationUp notification queued when
     * subscribed); fails with {@link SctpException.Closed} after {@link #abortAccept()} or {@link #close()}.
     * One pending call at a time.
     */
    public Future<SctpAssociation> accept() {
        SctpAssociation a = ready.poll();
        if (a != null) {
            return Future.ready(a);
        }
        if (closed != null) {
            return Future.failed(closed);
        }
        if (waiter != null) {
            return Future.failed(new IllegalStateException("an accept is already pending"));
        }
        waiter = new Promise<>();
        return waiter.future();
    }

    /**
     * Fails the pending and every later {@link #accept()} with {@link SctpException.Closed} and stops taking new
     * associations; associations already accepted are untouched. (The call Seastar's SCTP listener lacked.)
     */
    public void abortAccept() {
        if (closed == null) {
            closed = new SctpException.Closed("accept aborted");
        }
        Promise<SctpAssociation> w = waiter;
        waiter = null;
        if (w != null) {
            w.setException(closed);
        }
        while (!ready.isEmpty()) {
            ready.poll().abort("listener closed");
        }
    }

    /** Stops listening: {@link #abortAccept()}, and the port is released. */
    public void close() {
        abortAccept();
        stack.unlisten(this);
    }

    /** @return false when the association cannot be taken (closed, or the backlog is full). */
    boolean offer(SctpAssociation a) {
        if (closed != null) {
            return false;
        }
        if (waiter != null) {
            Promise<SctpAssociation> w = waiter;
            waiter = null;
            w.setValue(a);
            return true;
        }
        if (ready.size() >= backlog) {
            return false;
        }
        ready.add(a);
        return true;
    }

    boolean isClosed() {
        return closed != null;
    }
}
