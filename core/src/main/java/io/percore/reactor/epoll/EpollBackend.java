package io.percore.reactor.epoll;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.reactor.FdClosedException;
import io.percore.reactor.PollableFd;
import io.percore.reactor.ReactorBackend;
import io.percore.reactor.Readiness;
import io.percore.sys.Epoll;
import io.percore.sys.EpollEvents;
import io.percore.sys.Errno;
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
 *
 * <p><b>Shared descriptors wake one shard.</b> A {@linkplain PollableFd#shared shared} descriptor (the listening
 * socket balanced shards all accept from) is the exception: every shard has it in its own epoll, and an ordinary
 * registration would wake every sleeping shard for each new connection, of which all but one find nothing to
 * accept. It is registered with {@code EPOLLEXCLUSIVE}, level-triggered, for the directions waited for, and only
 * while a wait is pending (removed when it fires): the kernel then wakes one shard sleeping in epoll_wait, and a
 * shard that does not want connections at the moment is not registered, so it cannot swallow a wake-up meant for
 * one that does. Shards that are awake still see the event (the kernel only spares sleepers), which costs them an
 * accept that answers EAGAIN, not a wake-up. EPOLLEXCLUSIVE cannot be changed with EPOLL_CTL_MOD, hence remove and
 * add; two system calls per wait, on a path that already pays one accept per connection.
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
        /** Shared descriptors: the events registered now (0: not registered). */
        int registered;
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

    private void deliver(Registration reg, int ready) {
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
        if (reg.fd.isShared()) {
            try {
                reregister(reg);
            } catch (ErrnoException e) {
                fail(reg, e);
            }
        } else {
            reg.cached |= pending;
        }
    }

    /** Makes a shared descriptor's registration match its pending waits: none, IN, OUT or both, exclusive. */
    private void reregister(Registration reg) {
        int want = (reg.in != null ? Epoll.EPOLLIN : 0) | (reg.out != null ? Epoll.EPOLLOUT : 0);
        if (want == reg.registered) {
            return;
        }
        if (reg.registered != 0) {
            reg.registered = 0;
            epoll.remove(reg.fd.fd());
        }
        if (want != 0) {
            addExclusive(epoll, reg.fd.fd(), want, reg.token);
            reg.registered = want;
        }
    }

    /** Adds with EPOLLEXCLUSIVE; a kernel before 4.5 refuses the flag (EINVAL), and then every waiter is woken. */
    private static void addExclusive(Epoll epoll, int fd, int events, long token) {
        try {
            epoll.add(fd, events | Epoll.EPOLLEXCLUSIVE, token);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EINVAL) {
                throw e;
            }
            epoll.add(fd, events, token);
        }
    }

    private static void fail(Registration reg, Throwable e) {
        Promise<Integer> in = reg.in;
        Promise<Integer> out = reg.out;
        reg.in = null;
        reg.out = null;
        if (in != null) {
            in.trySetException(e);
        }
        if (out != null && out != in) {
            out.trySetException(e);
        }
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
        if (fd.isShared()) {
            try {
                reregister(reg);
            } catch (ErrnoException e) {
                if (reg.in == p) {
                    reg.in = null;
                }
                if (reg.out == p) {
                    reg.out = null;
                }
                return Future.failed(e);
            }
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
        if (!fd.isShared()) {
            epoll.add(fd.fd(), Epoll.EPOLLIN | Epoll.EPOLLOUT | Epoll.EPOLLRDHUP | Epoll.EPOLLET, token);
        }
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
        if (!fd.isShared() || reg.registered != 0) {
            reg.registered = 0;
            try {
                epoll.remove(fd.fd());
            } catch (ErrnoException e) {
                // Already closed or never added: nothing left to remove.
            }
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
