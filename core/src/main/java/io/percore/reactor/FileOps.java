package io.percore.reactor;

import io.percore.core.Future;
import java.lang.foreign.MemorySegment;

/**
 * Positioned file reads and writes done asynchronously by the kernel (io_uring, linux-aio): the basis of DMA
 * file I/O. Buffers must stay valid until the future resolves; with O_DIRECT they must be aligned as the file
 * requires. Failures resolve with {@link io.percore.sys.ErrnoException}. Shard thread only.
 */
public interface FileOps {
    /**
     * When a backend hands file reads and writes to the kernel within a reactor turn, instead of all at the turn's
     * end: at once while the kernel holds fewer than this many of them (the device would otherwise sit short of
     * work until the turn ends), and then every this many. A turn that reaps a wave of completions and resubmits
     * them one continuation at a time otherwise leaves the device short of all of them for as long as the whole
     * turn takes; on a virtual disk, submitting early gave ~10-20 % more random-read IOPS at queue depth 8 and 32
     * (A/B in one session), for one more system call per request at low depth and per this many at high depth.
     * System property {@code percore.file.submit-batch}; 0 or less submits at the end of the turn only.
     */
    int SUBMIT_BATCH = Integer.getInteger("percore.file.submit-batch", 8);

    /** pread(2): bytes read, 0 at end of file. */
    Future<Integer> read(int fd, long position, MemorySegment buf);

    /** pwrite(2): bytes written. */
    Future<Integer> write(int fd, long position, MemorySegment buf);

    /** fdatasync(2), where the backend can do it asynchronously (else it fails with ENOSYS). */
    Future<Integer> fdatasync(int fd);
}
