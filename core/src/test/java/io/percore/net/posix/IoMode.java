package io.percore.net.posix;

import io.percore.core.Reactor;
import io.percore.reactor.ReactorBackend;
import io.percore.reactor.ReactorBackends;
import java.util.ArrayList;
import java.util.List;

/**
 * One way of driving the stack, the parameter of every behaviour suite: a reactor backend, and whether socket
 * operations go through the backend's own path (readiness for epoll, completion for io_uring) or through the
 * test-only completion engine {@link SyncSocketOps} over a readiness backend. New backends join through
 * {@link ReactorBackends#AVAILABLE}.
 *
 * @param backend the reactor backend's name
 * @param engine  null for the backend's own path, else the emulated completion engine's kind
 */
record IoMode(String backend, SyncSocketOps.Kind engine) {
    /** @return every backend on its own path, plus the emulated completion paths over each readiness backend. */
    static List<IoMode> all() {
        List<IoMode> modes = new ArrayList<>();
        for (String b : ReactorBackends.AVAILABLE) {
            modes.add(new IoMode(b, null));
        }
        for (String b : ReactorBackends.AVAILABLE) {
            if (!hasOwnSocketOps(b)) {
                modes.add(new IoMode(b, SyncSocketOps.Kind.POLL_INSIDE));
                modes.add(new IoMode(b, SyncSocketOps.Kind.REPORT_EAGAIN));
                break; // one readiness backend is enough to exercise the emulated paths
            }
        }
        return modes;
    }

    /** Backends known to submit socket operations themselves. */
    private static boolean hasOwnSocketOps(String backend) {
        return backend.equals("io_uring");
    }

    /** @return a stack for the calling shard driven this way. Shard thread. */
    PosixStack createStack() {
        if (engine == null) {
            return PosixStack.create();
        }
        ReactorBackend b = Reactor.current().backend();
        return PosixStack.create(b, new SyncSocketOps(b, engine));
    }

    /** @return true when the stack takes the completion path. */
    boolean completion() {
        return engine != null || hasOwnSocketOps(backend);
    }

    @Override
    public String toString() {
        return backend + (engine == null ? "" : "+emulated-completion(" + engine.name().toLowerCase() + ")");
    }
}
