package io.percore.file;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import io.percore.reactor.FileOps;
import io.percore.smp.Smp;
import io.percore.sys.Affinity;
import io.percore.sys.Filesystem;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedTransferQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * File operations for backends that have no asynchronous file I/O (epoll): each pread, pwrite or fdatasync runs
 * on a helper thread, which blocks in the kernel in the shard's place, and the result comes back to the shard
 * through its reactor's inbox. The shard never blocks; each operation costs two thread hand-offs, so this path is
 * slower than io_uring or linux-aio and exists so that files work on every backend.
 *
 * <p>The pool has {@code percore.file.threads} threads (system property; default 16, enough to keep a device's
 * queue deep while most of them sleep in the kernel), created on first use, daemon, named
 * {@code percore-file-N}, shared by all shards. The hand-off queue is a {@code LinkedTransferQueue}: a helper
 * thread spins a moment before it parks, which at queue depth 1 cuts the hand-off latency markedly (measured: 6,400
 * against 3,900 random 4 KiB reads per second on this machine's disk). It is the fallback's price, not the shards'. The threads run on the CPUs the shards are not pinned to, when there are
 * any; when shards have every CPU, a helper thread competes with a shard that spins while idle, and requests wait
 * for the shard's time slice ({@code --idle-poll-time-us 0} or an asynchronous backend avoids that).
 *
 * <p>Methods are called on a shard thread; the futures complete there.
 */
final class ThreadPoolFileOps implements FileOps {
    /** What {@link IoScheduler#engine()} reports for this fallback. */
    static final String ENGINE_NAME = "thread-pool";

    private static final class Holder {
        static final ThreadPoolFileOps INSTANCE = new ThreadPoolFileOps(Integer.getInteger("percore.file.threads", 16));
    }

    private final ExecutorService executor;

    private ThreadPoolFileOps(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("percore.file.threads must be at least 1, got " + threads);
        }
        AtomicInteger ids = new AtomicInteger();
        ThreadPoolExecutor tpe = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new LinkedTransferQueue<>(), r -> {
                    Thread t = new Thread(() -> {
                        placeAwayFromShards();
                        r.run();
                    }, "percore-file-" + ids.getAndIncrement());
                    t.setDaemon(true);
                    return t;
                });
        tpe.allowCoreThreadTimeOut(true);
        this.executor = tpe;
    }

    /**
     * Keeps the calling helper thread off the CPUs that shards are pinned to, when the process may use others: a
     * shard spins while it waits for work, and a helper thread queued behind it on the same CPU would wait for the
     * shard's time slice to end, adding milliseconds to each request. With every CPU given to shards, helper threads
     * stay where the kernel puts them. Helper thread, as it starts.
     */
    private static void placeAwayFromShards() {
        Smp smp = Smp.current();
        if (smp == null || !smp.config().pin()) {
            return;
        }
        try {
            BitSet free = Affinity.get();
            for (int cpu : smp.config().cpus()) {
                free.clear(cpu);
            }
            if (!free.isEmpty()) {
                Affinity.set(free);
            }
        } catch (RuntimeException e) {
            // Affinity is an optimisation here: a refusal leaves the thread where it is.
        }
    }

    /** @return the process's fallback, its pool created on first use. Any thread. */
    static ThreadPoolFileOps shared() {
        return Holder.INSTANCE;
    }

    @Override
    public Future<Integer> read(int fd, long position, MemorySegment buf) {
        return submit(new Op(Op.READ, fd, position, buf));
    }

    @Override
    public Future<Integer> write(int fd, long position, MemorySegment buf) {
        return submit(new Op(Op.WRITE, fd, position, buf));
    }

    @Override
    public Future<Integer> fdatasync(int fd) {
        return submit(new Op(Op.SYNC, fd, 0, null));
    }

    private Future<Integer> submit(Op op) {
        Reactor reactor = Reactor.current();
        if (reactor == null) {
            throw new IllegalStateException("file operations complete on a shard; call them on a shard thread");
        }
        op.reactor = reactor;
        try {
            executor.execute(op);
        } catch (RejectedExecutionException e) {
            op.setException(e);
        }
        return op;
    }

    /**
     * One operation: run first on a helper thread (the system call), then on the shard (the completion). The
     * promise is touched only in the second phase, on its own shard.
     */
    private static final class Op extends Promise<Integer> implements Runnable {
        static final int READ = 0, WRITE = 1, SYNC = 2;

        final int kind;
        final int fd;
        final long position;
        final MemorySegment buf;
        Reactor reactor;
        /** Written by the helper thread before the hand-off to the reactor's inbox, which orders the reads. */
        private boolean onShard;
        private long result;
        private Throwable error;

        Op(int kind, int fd, long position, MemorySegment buf) {
            this.kind = kind;
            this.fd = fd;
            this.position = position;
            this.buf = buf;
        }

        @Override
        public void run() {
            if (onShard) {
                if (error != null) {
                    setException(error);
                } else {
                    setValue((int) result);
                }
                return;
            }
            try {
                result = switch (kind) {
                    case READ -> Filesystem.pread(fd, buf, buf.byteSize(), position);
                    case WRITE -> Filesystem.pwrite(fd, buf, buf.byteSize(), position);
                    default -> {
                        Filesystem.fdatasync(fd);
                        yield 0;
                    }
                };
            } catch (Throwable t) {
                error = t;
            }
            onShard = true;
            try {
                reactor.execute(this);
            } catch (RejectedExecutionException stopped) {
                // The shard stopped while the call ran: nobody is left to take the result.
            }
        }
    }
}
