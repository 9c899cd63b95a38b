/**
 * Storage the way Seastar does it: files opened for direct memory access, an I/O scheduler per shard, and
 * streams over files.
 *
 * <h2>Direct I/O</h2>
 * {@link io.percore.file.Files#openDma} opens a file with O_DIRECT: reads and writes move data between the device
 * and buffers of the shard's own memory pool without passing through the page cache, so a database decides what
 * to cache, memory use stays inside the shard's limit, and latency does not depend on the kernel's write-back.
 * Direct I/O needs aligned positions, lengths and buffers; the alignment is asked of the kernel when the file is
 * opened (statx's {@code STATX_DIOALIGN} where it answers, else the block device's sector size, else the file
 * system's block size) and is checked before every request, so a mistake is reported in words rather than as EINVAL.
 *
 * <h2>Who does the work</h2>
 * Reads and writes are performed by the reactor backend's asynchronous file path: io_uring submissions, or
 * linux-aio's io_submit. The epoll backend has no such path; there the requests run as pread/pwrite on a small pool
 * of helper threads that complete back on the shard, so the shard thread still never blocks (slower: two thread
 * hand-offs per request). Metadata calls the kernel cannot do asynchronously for every backend (open, statx,
 * getdents, rename, unlink, link, mkdir, ftruncate, fallocate, close) always run on the
 * {@link io.percore.core.Offload} helper threads.
 *
 * <h2>The I/O scheduler</h2>
 * Each shard has an {@link io.percore.file.IoScheduler} with a queue per device. Requests wait in a FIFO per
 * {@link io.percore.file.IoClass}; at most {@link io.percore.file.IoQueueConfig#maxInFlight()} are in the kernel at
 * once, and the next one comes from the class that has received the least of the device relative to its shares
 * (a virtual-time fair queue, costed in bytes plus a fixed amount per request). Large requests are split to the
 * device's preferred size and requests that continue each other are merged, so the kernel sees the sizes the
 * device handles best. Bounding what is in flight is what makes the shares matter: the device's own queue, which
 * knows nothing of classes, stays short.
 *
 * <h2>Streams</h2>
 * {@link io.percore.file.FileInputStream} reads ahead a configurable number of buffers and
 * {@link io.percore.file.FileOutputStream} writes behind; both stop at that depth until the consumer or the device
 * catches up, so memory stays bounded whatever the file's size.
 *
 * <p>Everything here is shard-local: a file is used by the shard that opened it.
 */
package io.percore.file;
