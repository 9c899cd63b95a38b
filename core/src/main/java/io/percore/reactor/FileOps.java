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
     * File reads and writes a backend lets accumulate within one reactor turn before it hands them to the kernel,
     * instead of waiting for the turn's end. The device starts on the first requests while the shard prepares the
     * rest: a turn that reaps 32 random-read completions and resubmits them one continuation at a time would
     * otherwise leave the device short of those requests for as long as the whole turn takes (at queue depth 32 on
     * a virtual disk, ~20 % fewer IOPS than fio, which submits each request as it is issued). One more system call
     * per this many requests is the price. System property {@code percore.file.submit-batch}; 0 or less submits at
     * the end of the turn only.
     */
    int SUBMIT_BATCH = Integer.getInteger("percore.file.submit-batch", 8);

    /** pread(2): bytes read, 0 at end of file. */
    Future<Integer> read(int fd, long position, MemorySegment buf);

    /** pwrite(2): bytes written. */
    Future<Integer> write(int fd, long position, MemorySegment buf);

    /** fdatasync(2), where the backend can do it asynchronously (else it fails with ENOSYS). */
    Future<Integer> fdatasync(int fd);
}
