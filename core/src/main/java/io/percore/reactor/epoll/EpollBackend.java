package io.percore.reactor.epoll;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.reactor.FdClosedException;
import io.percore.reactor.PollableFd;
import io.percore.reactor.ReactorBackend;
import io.percore.reactor.Readiness;
import io.percore.sys.Epoll;
import io.percore.sys.EpollEvents;
import io.percore.sys.ErrnoException;
import io.percore.sys.EventFd;
import java.util.Arrays;

/**
 * The epoll backend: one epoll instance per shard, with an eventfd that other shards ring to end an idle sleep.
 *
 * <p><b>Edge-triggered, registered once.</b> A descriptor is added the first time someone waits on it, for both
 * directions, with EPOLLET, and stays registered until it is forgotten: no epoll_ctl per wait. Because edges are
 * reported once, readiness that arrives while nobody waits is remembered per descriptor and hands the next wait
 * an immediate answer; the caller then does its non-blocking call until EAGAIN before waiting again, which is
 * what makes edge triggering safe. The wake-up eventfd is level-triggered and drained on every wake.
 */
public final class EpollBackend implements ReactorBackend {
    private static final long WAKE_TOKEN = -1L;
    private static final int IN_BITS = Readiness.IN | Readiness.PRI | Readiness.RDHUP | Readiness.HUP | Readiness.ERR;
    private static final int OUT_BITS = Readiness.OUT | Readiness.HUP | Readiness.ERR;

    /** One registered descriptor: its waiters and the readiness seen while none waited. */
    private static final class Registration {
        final PollableFd fd;
        final int token;
        int cached;
        Promise<Integer> in;
        Promise<Integer> out;

        Registration(PollableFd fd, int token) {
            this.fd = fd;
            this.token = token;
        }
    }

    private final Epoll epoll;
    private final EventFd wake;
    private final EpollEvents events;
    private Registration[] byToken = new Registration[64];
    private int[] freeTokens = new int[64];
    private int freeCount;
    private int nextToken;
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
        // Only the wake eventfd is registered until descriptors arrive: skip the system call then.
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
            long token = events.data(i);
            if (token == WAKE_TOKEN) {
                wake.drain();
                continue;
            }
            Registration reg = token >= 0 && token < byToken.length ? byToken[(int) token] : null;
            if (reg == null) {
                continue; // forgotten after the kernel queued the event
            }
            deliver(reg, events.events(i));
            work++;
        }
        return work;
    }

    private static void deliver(Registration reg, int ready) {
        int pending = ready;
        if ((ready & IN_BITS) != 0 && reg.in != null) {
            Promise<Integer> p = reg.in;
            reg.in = null;
            if (reg.out == p) {
                reg.out = null;
            }
            pending &= ~(Readiness.IN | Readiness.PRI | Readiness.RDHUP);
            p.trySetValue(ready);
        }
        if ((ready & OUT_BITS) != 0 && reg.out != null) {
            Promise<Integer> p = reg.out;
            reg.out = null;
            pending &= ~Readiness.OUT;
            p.trySetValue(ready);
        }
        reg.cached |= pending;
    }

    @Override
    public Future<Integer> pollReady(PollableFd fd, int wanted) {
        if (fd.isForgotten()) {
            return Future.failed(new FdClosedException(fd));
        }
        Registration reg = (Registration) fd.backendState;
        if (reg == null) {
            reg = register(fd);
        }
        int mask = 0;
        if ((wanted & (Readiness.IN | Readiness.PRI | Readiness.RDHUP)) != 0) {
            mask |= IN_BITS;
        }
        if ((wanted & Readiness.OUT) != 0) {
            mask |= OUT_BITS;
        }
        int ready = reg.cached & mask;
        if (ready != 0) {
            // ERR and HUP stay cached: they remain true for every later wait.
            reg.cached &= ~(ready & (Readiness.IN | Readiness.PRI | Readiness.RDHUP | Readiness.OUT));
            return Future.ready(ready);
        }
        Promise<Integer> p = new Promise<>();
        if ((mask & Readiness.IN) != 0) {
            if (reg.in != null) {
                return Future.failed(new IllegalStateException("a read-readiness wait is already pending on " + fd));
            }
            reg.in = p;
        }
        if ((mask & Readiness.OUT) != 0) {
            if (reg.out != null) {
                if (reg.in == p) {
                    reg.in = null;
                }
                return Future.failed(new IllegalStateException("a write-readiness wait is already pending on " + fd));
            }
            reg.out = p;
        }
        return p;
    }

    private Registration register(PollableFd fd) {
        int token;
        if (freeCount > 0) {
            token = freeTokens[--freeCount];
        } else {
            token = nextToken++;
            if (token == byToken.length) {
                byToken = Arrays.copyOf(byToken, token * 2);
            }
        }
        Registration reg = new Registration(fd, token);
        epoll.add(fd.fd(), Epoll.EPOLLIN | Epoll.EPOLLOUT | Epoll.EPOLLRDHUP | Epoll.EPOLLET, token);
        byToken[token] = reg;
        fd.backendState = reg;
        registered++;
        return reg;
    }

    @Override
    public void forget(PollableFd fd) {
        if (fd.isForgotten()) {
            return;
        }
        fd.markForgotten();
        Registration reg = (Registration) fd.backendState;
        if (reg == null) {
            return;
        }
        fd.backendState = null;
        try {
            epoll.remove(fd.fd());
        } catch (ErrnoException e) {
            // Already closed or never added: nothing left to remove.
        }
        byToken[reg.token] = null;
        if (freeCount == freeTokens.length) {
            freeTokens = Arrays.copyOf(freeTokens, freeCount * 2);
        }
        freeTokens[freeCount++] = reg.token;
        registered--;
        FdClosedException closed = new FdClosedException(fd);
        if (reg.in != null) {
            reg.in.trySetException(closed);
        }
        if (reg.out != null && reg.out != reg.in) {
            reg.out.trySetException(closed);
        }
        reg.in = null;
        reg.out = null;
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
