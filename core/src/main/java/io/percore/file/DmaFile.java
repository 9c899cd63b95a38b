package io.percore.file;

import io.percore.core.Future;
import io.percore.core.Offload;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import io.percore.memory.Buffer;
import io.percore.memory.MemoryPool;
import io.percore.reactor.FileOps;
import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;
import io.percore.sys.Fd;
import io.percore.sys.Filesystem;
import io.percore.sys.Statx;
import java.lang.foreign.MemorySegment;
import java.nio.file.FileSystemException;

/**
 * A file opened for direct memory access (O_DIRECT): reads and writes go between the device and the caller's
 * buffers, never through the page cache, queued in the shard's {@link IoScheduler} under an {@link IoClass} and
 * performed by the reactor backend's asynchronous file path (io_uring, linux-aio) or, on a backend without one
 * (epoll), by helper threads that block in the shard's place. Open one with {@link Files#openDma}.
 *
 * <p><b>Alignment.</b> Direct I/O has rules: read and write positions and lengths must be multiples of the
 * file's {@link #alignment()} ({@link DmaAlignment#read()}, {@link DmaAlignment#write()}) and buffers must start
 * at multiples of {@link DmaAlignment#memory()}. {@link #allocateBuffer} gives suitable buffers. A request that
 * breaks the rules fails with {@link MisalignedIoException} naming the rule, before it reaches the kernel.
 * {@link #readBulk} reads any byte range by reading the aligned range around it.
 *
 * <p><b>Buffers.</b> A read or write keeps its own view of the buffer until its future resolves, so the memory
 * stays valid while the kernel may touch it even if the caller releases its own view earlier; the caller must
 * not change a buffer that is being written, nor read one that is being read into, until the future resolves.
 *
 * <p><b>Blocking calls.</b> {@link #size}, {@link #stat}, {@link #truncate}, {@link #allocate} and the close of
 * the descriptor are system calls the kernel cannot do asynchronously; they run on the {@link Offload} helper
 * threads and complete back on the shard. {@link #flush} uses the engine's asynchronous fdatasync where it has
 * one, otherwise a helper thread.
 *
 * <p><b>Errors.</b> Futures fail with {@code java.nio.file} exceptions ({@link java.nio.file.NoSuchFileException},
 * {@link java.nio.file.AccessDeniedException}, ...) or {@link NoSpaceException}, with the path in the message and
 * the errno as the cause; an operation on a closed file fails with {@link IllegalStateException}.
 *
 * <p>Shard-local: open, use and close it on one shard thread (with {@code -ea} another thread's touch throws
 * {@link AssertionError}). Several reads and writes may be in flight at once; they complete in any order.
 */
public final class DmaFile {
    private final String path;
    private final int fd;
    private final boolean readable;
    private final boolean writable;
    private final DmaAlignment alignment;
    private final IoQueue queue;
    private final IoClass ioClass;
    private final Reactor owner;
    /** Operations started and not finished: close waits for them before giving the descriptor back. */
    private int pending;
    private Promise<Void> drained;
    private boolean closed;
    private Future<Void> closing;

    private DmaFile(String path, int fd, OpenOptions options, DmaAlignment alignment, IoQueue queue) {
        this.path = path;
        this.fd = fd;
        this.readable = options.read();
        this.writable = options.write();
        this.alignment = alignment;
        this.queue = queue;
        this.ioClass = options.ioClass();
        this.owner = Reactor.current();
    }

    /** The descriptor and what was learnt about it on the helper thread. */
    private record Opened(int fd, DmaAlignment alignment, DeviceLimits device) {}

    /** Opens off-shard, then builds the file on the calling shard. See {@link Files#openDma}. */
    static Future<DmaFile> open(String path, OpenOptions options) {
        if (Reactor.current() == null) {
            throw new IllegalStateException("files belong to a shard; open them on a shard thread");
        }
        IoScheduler scheduler = IoScheduler.current();
        return Offload.run(() -> openBlocking(path, options))
                .recoverWith(t -> Future.failed(FileErrors.translate(t, path)))
                .map(o -> new DmaFile(path, o.fd(), options, o.alignment(), scheduler.queueFor(o.device())));
    }

    private static Opened openBlocking(String path, OpenOptions options) throws FileSystemException {
        int fd;
        try {
            fd = Filesystem.open(path, options.flags(), options.permissions());
        } catch (ErrnoException e) {
            if (e.errno() == Errno.EISDIR || e.errno() == Errno.EINVAL && isDirectory(path)) {
                throw withCause(new FileSystemException(path, null, "is a directory; direct I/O needs a file"), e);
            }
            if (e.errno() == Errno.EINVAL) {
                throw withCause(new FileSystemException(path, null,
                        "open with O_DIRECT failed (EINVAL): the file system does not support direct I/O"), e);
            }
            throw e;
        }
        try {
            Statx st = Statx.of(fd, Statx.STATX_BASIC_STATS | Statx.STATX_DIOALIGN | Statx.STATX_DIO_READ_ALIGN);
            if (st.isDirectory()) {
                throw new FileSystemException(path, null, "is a directory; direct I/O needs a file");
            }
            DmaAlignment a = DmaAlignment.query(fd, st);
            if (a == null) {
                throw new FileSystemException(path, null,
                        "the file system reports that this file does not support direct I/O (statx dio alignment 0)");
            }
            int major = st.isBlockDevice() ? st.rdevMajor() : st.devMajor();
            int minor = st.isBlockDevice() ? st.rdevMinor() : st.devMinor();
            return new Opened(fd, a, DeviceLimits.of(major, minor));
        } catch (RuntimeException | FileSystemException e) {
            try {
                Fd.close(fd);
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static boolean isDirectory(String path) {
        try {
            return Statx.of(path, true, Statx.STATX_BASIC_STATS).isDirectory();
        } catch (ErrnoException e) {
            return false;
        }
    }

    private static FileSystemException withCause(FileSystemException x, Throwable cause) {
        x.initCause(cause);
        return x;
    }

    // ---------------------------------------------------------------- reads and writes

    /**
     * Reads into all of {@code buffer} from {@code position}, in the file's default class.
     *
     * @return the bytes read: {@code buffer.length()}, fewer only at end of file (0 at or past it)
     * @see #read(long, Buffer, IoClass)
     */
    public Future<Integer> read(long position, Buffer buffer) {
        return read(position, buffer, ioClass);
    }

    /**
     * Reads into all of {@code buffer} from {@code position}. Shard thread.
     *
     * @param ioClass the class the request is scheduled in
     * @return the bytes read: {@code buffer.length()}, fewer only at end of file (0 at or past it); fails with
     *         {@link MisalignedIoException} when the position, length or buffer address is not aligned as
     *         {@link #alignment()} says
     */
    public Future<Integer> read(long position, Buffer buffer, IoClass ioClass) {
        MemorySegment seg = buffer.segment();
        RuntimeException refused = refusal(false, position, seg);
        if (refused != null || seg.byteSize() == 0) {
            return refused != null ? Future.failed(refused) : Future.ready(0);
        }
        Buffer hold = buffer.share();
        pending++;
        return settle(queue.submit(ioClass, IoRequest.READ, fd, position, seg), hold);
    }

    /**
     * Writes all of {@code buffer} at {@code position}, in the file's default class.
     *
     * @see #write(long, Buffer, IoClass)
     */
    public Future<Integer> write(long position, Buffer buffer) {
        return write(position, buffer, ioClass);
    }

    /**
     * Writes all of {@code buffer} at {@code position}, extending the file when it writes past the end. A write
     * the kernel takes only in part (a device filling up) is continued from where it stopped; the future fails
     * when the rest cannot be written. Shard thread.
     *
     * @param ioClass the class the request is scheduled in
     * @return {@code buffer.length()}; fails with {@link MisalignedIoException} for a misaligned request, with
     *         {@link NoSpaceException} when the device is full
     */
    public Future<Integer> write(long position, Buffer buffer, IoClass ioClass) {
        MemorySegment seg = buffer.segment();
        RuntimeException refused = refusal(true, position, seg);
        if (refused != null || seg.byteSize() == 0) {
            return refused != null ? Future.failed(refused) : Future.ready(0);
        }
        Buffer hold = buffer.share();
        pending++;
        return settle(writeRest(ioClass, position, seg, 0), hold);
    }

    /** @return why a read or write of {@code seg} at {@code position} may not go, or null when it may. Shard thread. */
    private RuntimeException refusal(boolean write, long position, MemorySegment seg) {
        assert owner.isOwnerThread() : "DmaFile of shard " + owner.shardId() + " used on " + Thread.currentThread().getName();
        String op = write ? "write" : "read";
        if (closed) {
            return closedError(op);
        }
        if (write ? !writable : !readable) {
            return new IllegalStateException(path + " was opened " + (write ? "read-only; it cannot be written"
                    : "write-only; it cannot be read"));
        }
        return misaligned(op, position, seg, write ? alignment.write() : alignment.read());
    }

    private Future<Integer> writeRest(IoClass c, long position, MemorySegment seg, int done) {
        int length = (int) seg.byteSize();
        return queue.submit(c, IoRequest.WRITE, fd, position + done, seg.asSlice(done)).flatMap(n -> {
            int total = done + n;
            if (total == length) {
                return Future.ready(total);
            }
            if (n == 0) {
                return Future.failed(new NoSpaceException(path, "pwrite took 0 of " + (length - done)
                        + " bytes at " + (position + done) + " (device full?)"));
            }
            if (total % alignment.write() != 0) {
                return Future.failed(new FileSystemException(path, null, "short direct write of " + n + " bytes at "
                        + (position + done) + " ends off the alignment of " + alignment.write() + "; cannot continue"));
            }
            return writeRest(c, position, seg, total);
        });
    }

    /** Releases the request's view of the buffer, counts it done, and turns errno failures into file errors. */
    private Future<Integer> settle(Future<Integer> op, Buffer hold) {
        Promise<Integer> result = new Promise<>();
        op.onComplete((n, error) -> {
            hold.release();
            opDone();
            if (error != null) {
                result.setException(FileErrors.translate(error, path));
            } else {
                result.setValue(n);
            }
        });
        return result;
    }

    /**
     * Reads {@code length} bytes at {@code position}, at any alignment: reads the aligned range around them into
     * a new buffer from the shard's pool and returns the view of the bytes asked for. Shard thread.
     *
     * @return the bytes (the caller releases the buffer); shorter at end of file, empty at or past it
     */
    public Future<Buffer> readBulk(long position, int length, IoClass ioClass) {
        if (position < 0 || length < 0) {
            return Future.failed(new IllegalArgumentException("position and length must not be negative: position "
                    + position + ", length " + length));
        }
        if (length == 0) {
            return Future.ready(Buffer.empty());
        }
        long start = DmaAlignment.alignDown(position, alignment.read());
        long end = DmaAlignment.alignUp(position + length, alignment.read());
        if (end - start > Integer.MAX_VALUE) {
            return Future.failed(new IllegalArgumentException("a bulk read covers at most 2 GiB, asked for " + length
                    + " bytes"));
        }
        Buffer b;
        try {
            b = allocateBuffer((int) (end - start));
        } catch (RuntimeException e) {
            return Future.failed(e);
        }
        int skip = (int) (position - start);
        Promise<Buffer> result = new Promise<>();
        read(start, b, ioClass).onComplete((n, error) -> {
            if (error != null) {
                b.release();
                result.setException(error);
                return;
            }
            b.trim(n);
            b.trimFront(Math.min(skip, n));
            b.trim(Math.min(length, b.length()));
            result.setValue(b);
        });
        return result;
    }

    /** As {@link #readBulk(long, int, IoClass)} in the file's default class. */
    public Future<Buffer> readBulk(long position, int length) {
        return readBulk(position, length, ioClass);
    }

    /**
     * Allocates a buffer for direct I/O on this file from the shard's memory pool, aligned as
     * {@link DmaAlignment#memory()} requires. For I/O its length must be a multiple of the read or write
     * alignment; {@link DmaAlignment#alignUp} helps. Shard thread.
     *
     * @throws io.percore.memory.ShardMemoryExhaustedException when the shard's pool is at its limit
     * @throws IllegalStateException off a shard thread
     */
    public Buffer allocateBuffer(int size) {
        MemoryPool pool = MemoryPool.current();
        if (pool == null) {
            throw new IllegalStateException("DMA buffers come from a shard's pool; allocate them on a shard thread");
        }
        return pool.allocateAligned(size, Math.max(alignment.memory(), 64));
    }

    private MisalignedIoException misaligned(String op, long position, MemorySegment seg, int align) {
        long len = seg.byteSize();
        String what;
        long required;
        if (position < 0) {
            return new MisalignedIoException(op + " at negative position " + position + " of " + path, align);
        } else if (position % align != 0) {
            what = "position " + position;
            required = align;
        } else if (len % align != 0) {
            what = "length " + len;
            required = align;
        } else if (seg.address() % alignment.memory() != 0) {
            what = "buffer address 0x" + Long.toHexString(seg.address());
            required = alignment.memory();
            return new MisalignedIoException("misaligned direct-I/O " + op + " of " + len + " bytes at " + position
                    + " of " + path + ": " + what + " is not a multiple of " + required + "; buffers must start at "
                    + alignment.describe(alignment.memory()) + " (DmaFile.allocateBuffer gives such buffers)", required);
        } else {
            return null;
        }
        return new MisalignedIoException("misaligned direct-I/O " + op + " of " + len + " bytes at " + position + " of "
                + path + ": " + what + " is not a multiple of " + required + "; positions and lengths must be "
                + alignment.describe(align), required);
    }

    // ---------------------------------------------------------------- metadata and lifetime

    /** @return the file's size in bytes. Runs statx on a helper thread. Shard thread. */
    public Future<Long> size() {
        return blocking("size", () -> Statx.of(fd, Statx.STATX_BASIC_STATS).size());
    }

    /** @return what statx says about the open file. Runs on a helper thread. Shard thread. */
    public Future<FileStat> stat() {
        return blocking("stat", () -> FileStat.of(Statx.of(fd, Statx.STATX_BASIC_STATS)));
    }

    /** Sets the file's size (ftruncate), cutting or extending with zeros. Runs on a helper thread. Shard thread. */
    public Future<Void> truncate(long length) {
        if (length < 0) {
            return Future.failed(new IllegalArgumentException("length must not be negative: " + length));
        }
        return blocking("truncate", () -> {
            Filesystem.ftruncate(fd, length);
            return null;
        });
    }

    /**
     * Reserves disk space for {@code length} bytes at {@code position} (fallocate with {@code FALLOC_FL_KEEP_SIZE}),
     * so later writes there cannot fail for lack of space; the file's size does not change. Runs on a helper
     * thread. Shard thread.
     *
     * @return fails with {@link NoSpaceException} when the device cannot hold it
     */
    public Future<Void> allocate(long position, long length) {
        if (position < 0 || length <= 0) {
            return Future.failed(new IllegalArgumentException("position must not be negative and length must be "
                    + "positive: position " + position + ", length " + length));
        }
        return blocking("allocate", () -> {
            Filesystem.fallocate(fd, Filesystem.FALLOC_FL_KEEP_SIZE, position, length);
            return null;
        });
    }

    /**
     * Makes every write whose future has completed durable (fdatasync): after it resolves, the data survives a
     * crash or power loss (as far as the device honours cache flushes). Through the engine's asynchronous
     * fdatasync where it has one, else on a helper thread. Shard thread.
     */
    public Future<Void> flush() {
        if (closed) {
            return Future.failed(closedError("flush"));
        }
        pending++;
        FileOps ops = IoScheduler.current().fileOps();
        Future<Integer> sync;
        try {
            sync = ops.fdatasync(fd);
        } catch (RuntimeException e) {
            sync = Future.failed(e);
        }
        Promise<Void> result = new Promise<>();
        sync.recoverWith(t -> t instanceof ErrnoException e && e.errno() == Errno.ENOSYS
                        ? Offload.run(() -> {
                            Filesystem.fdatasync(fd);
                            return 0;
                        })
                        : Future.failed(t))
                .onComplete((v, error) -> {
                    opDone();
                    if (error != null) {
                        result.setException(FileErrors.translate(error, path));
                    } else {
                        result.setValue(null);
                    }
                });
        return result;
    }

    /**
     * Closes the file: later calls fail, operations in flight finish first, then the descriptor is closed on a
     * helper thread. Calling it again returns the same future. Shard thread.
     */
    public Future<Void> close() {
        if (closing != null) {
            return closing;
        }
        closed = true;
        Future<Void> idle;
        if (pending == 0) {
            idle = Future.done();
        } else {
            drained = new Promise<>();
            idle = drained;
        }
        closing = idle.then(() -> Offload.run(() -> {
            Fd.close(fd);
            return (Void) null;
        })).recoverWith(t -> Future.failed(FileErrors.translate(t, path)));
        return closing;
    }

    private interface BlockingCall<T> {
        T call() throws Exception;
    }

    private <T> Future<T> blocking(String op, BlockingCall<T> call) {
        if (closed) {
            return Future.failed(closedError(op));
        }
        pending++;
        Promise<T> result = new Promise<>();
        Offload.run(call::call).onComplete((v, error) -> {
            opDone();
            if (error != null) {
                result.setException(FileErrors.translate(error, path));
            } else {
                result.setValue(v);
            }
        });
        return result;
    }

    private void opDone() {
        if (--pending == 0 && drained != null) {
            Promise<Void> d = drained;
            drained = null;
            d.setValue(null);
        }
    }

    private IllegalStateException closedError(String op) {
        return new IllegalStateException("cannot " + op + " " + path + ": the file is closed");
    }

    /** @return the alignment direct I/O on this file needs. Any thread. */
    public DmaAlignment alignment() {
        return alignment;
    }

    /** @return the path it was opened with. Any thread. */
    public String path() {
        return path;
    }

    /** @return the class its reads and writes use unless a call names another. Any thread. */
    public IoClass ioClass() {
        return ioClass;
    }

    /** @return true once {@link #close()} was called. Shard thread. */
    public boolean isClosed() {
        return closed;
    }

    /** @return the device queue's name ("254:0"), for reports. Shard thread. */
    public String device() {
        return queue.device().name();
    }

    @Override
    public String toString() {
        return "DmaFile[" + path + ", fd " + fd + (closed ? ", closed" : "") + "]";
    }
}
