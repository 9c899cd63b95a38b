package io.percore.reactor;

import io.percore.core.Future;
import java.lang.foreign.MemorySegment;

/**
 * Positioned file reads and writes done asynchronously by the kernel (io_uring, linux-aio): the basis of DMA
 * file I/O. Buffers must stay valid until the future resolves; with O_DIRECT they must be aligned as the file
 * requires. Failures resolve with {@link io.percore.sys.ErrnoException}. Shard thread only.
 */
public interface FileOps {
    /** pread(2): bytes read, 0 at end of file. */
    Future<Integer> read(int fd, long position, MemorySegment buf);

    /** pwrite(2): bytes written. */
    Future<Integer> write(int fd, long position, MemorySegment buf);

    /** fdatasync(2), where the backend can do it asynchronously (else it fails with ENOSYS). */
    Future<Integer> fdatasync(int fd);
}
