package io.percore.reactor.uring;

import io.percore.core.Future;
import io.percore.reactor.FileOps;
import io.percore.sys.IoUringOpcode;
import io.percore.sys.IoUringSqe;
import java.lang.foreign.MemorySegment;

/**
 * Positioned file reads and writes and fdatasync submitted to the ring (READ, WRITE, FSYNC with DATASYNC). The
 * kernel completes page-cache hits inline and sends the rest to its workers or, with O_DIRECT, to the device;
 * the shard never blocks. The buffer is held until the completion arrives. Reads and writes are submitted with the
 * turn's other entries, or earlier as {@link FileOps#SUBMIT_BATCH} says.
 *
 * <p>Shard thread only. The descriptors are plain ints, not {@code PollableFd}s: forget does not reach these
 * operations; the owner must let them finish before closing the file.
 */
final class IoUringFileOps implements FileOps {
    private final IoUringBackend backend;

    IoUringFileOps(IoUringBackend backend) {
        this.backend = backend;
    }

    @Override
    public Future<Integer> read(int fd, long position, MemorySegment buf) {
        int len = Buffers.writableLength(buf);
        requirePosition(position);
        long sqe = backend.sqe();
        PendingOp op = backend.start(IoUringOpcode.READ, fd, buf);
        IoUringSqe.read(backend.sqes(), sqe, fd, buf.address(), len, position, op.userData);
        backend.fileOpQueued();
        return op.promise;
    }

    @Override
    public Future<Integer> write(int fd, long position, MemorySegment buf) {
        int len = Buffers.readableLength(buf);
        requirePosition(position);
        long sqe = backend.sqe();
        PendingOp op = backend.start(IoUringOpcode.WRITE, fd, buf);
        IoUringSqe.write(backend.sqes(), sqe, fd, buf.address(), len, position, op.userData);
        backend.fileOpQueued();
        return op.promise;
    }

    @Override
    public Future<Integer> fdatasync(int fd) {
        long sqe = backend.sqe();
        PendingOp op = backend.start(IoUringOpcode.FSYNC, fd, null);
        IoUringSqe.fsync(backend.sqes(), sqe, fd, true, op.userData);
        return op.promise;
    }

    private static void requirePosition(long position) {
        // -1 would mean "the file's current position" to io_uring; FileOps is positioned I/O only.
        if (position < 0) {
            throw new IllegalArgumentException("file position must not be negative: " + position);
        }
    }
}
