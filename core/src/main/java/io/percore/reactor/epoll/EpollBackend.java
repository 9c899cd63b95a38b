package io.percore.reactor.epoll;

import io.percore.reactor.ReactorBackend;
import io.percore.sys.Epoll;
import io.percore.sys.EpollEvents;
import io.percore.sys.EventFd;

/**
 * The epoll backend: one epoll instance per shard, with an eventfd that other shards ring to end an idle sleep.
 * Level-triggered for the eventfd (it is drained on every wake), so no wake-up can be lost between a drain and
 * the next wait.
 */
public final class EpollBackend implements ReactorBackend {
    private static final long WAKE_TOKEN = -1L;

    private final Epoll epoll;
    private final EventFd wake;
    private final EpollEvents events;
    private int registered;

    private EpollBackend(Epoll epoll, EventFd wake, EpollEvents events) {
        this.epoll = epoll;
        this.wake = wake;
        this.events = events;
    }

    /** @return a backend for the calling shard; closes what it opened if set-up fails half way. */
    public static EpollBackend create() {
        Epoll epoll = Epoll.create();
        EventFd wake = null;
        EpollEvents events = null;
        try {
            wake = EventFd.create();
            events = new EpollEvents(256);
            epoll.add(wake.fd(), Epoll.EPOLLIN, WAKE_TOKEN);
            return new EpollBackend(epoll, wake, events);
        } catch (RuntimeException e) {
            if (events != null) {
                events.close();
            }
            if (wake != null) {
                wake.close();
            }
            epoll.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return "epoll";
    }

    @Override
    public boolean poll() {
        // Only the wake eventfd is registered until sockets arrive: skip the syscall then.
        if (registered == 0) {
            return false;
        }
        return dispatch(epoll.wait(events, 0)) > 0;
    }

    @Override
    public void sleep(long timeoutNanos) {
        dispatch(epoll.wait(events, timeoutNanos));
    }

    private int dispatch(int n) {
        int work = 0;
        for (int i = 0; i < n; i++) {
            if (events.data(i) == WAKE_TOKEN) {
                wake.drain();
            } else {
                work++;
            }
        }
        return work;
    }

    @Override
    public void wakeup() {
        wake.signal();
    }

    @Override
    public void close() {
        events.close();
        wake.close();
        epoll.close();
    }
}
