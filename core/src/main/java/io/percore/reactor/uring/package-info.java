/**
 * The io_uring reactor backend ({@code --reactor-backend io_uring}).
 *
 * <h2>One ring per shard, one submission per turn</h2>
 * Each shard owns a ring ({@link io.percore.sys.IoUring}: raw io_uring_setup/enter/register through FFM, no
 * liburing) created on the shard's thread with SINGLE_ISSUER and DEFER_TASKRUN where the kernel has them, so the
 * kernel runs completion work only when the shard asks for completions and never interrupts it to do so.
 * Operations write their entries into the SQ as tasks ask for them; nothing reaches the kernel until the reactor
 * turn ends in {@link io.percore.reactor.ReactorBackend#poll()} or {@link io.percore.reactor.ReactorBackend#sleep},
 * which submit the whole batch with one io_uring_enter. A batch larger than the SQ is submitted early, as it fills.
 * {@code poll} makes no system call at all when nothing was queued and the kernel has flagged no pending
 * completion work: it reads the CQ tail from shared memory.
 *
 * <h2>Completions find their operation by slot</h2>
 * Every operation takes a pooled {@link io.percore.reactor.uring.PendingOp} from a per-shard table; its slot is
 * the entry's user_data, so a completion costs an array load, not a map lookup, and an operation allocates
 * only the promise it returns. A slot is reused only after the operation's last completion has arrived.
 *
 * <h2>The kernel owns memory until it says otherwise</h2>
 * As in monoio, the memory an operation hands the kernel (buffers, msghdrs, sockaddrs) is referenced by its
 * pending operation until the completion arrives. Cancelling ({@code forget}, {@code close}) submits
 * IORING_OP_ASYNC_CANCEL and then still waits for the original completion; only then do the futures fail, so a
 * failed future means the kernel is done with the buffer. Sockets are cancelled by the kernel at once, so this
 * wait is one io_uring_enter.
 *
 * <h2>Sleeping and waking</h2>
 * {@code sleep} submits and waits for one completion with a timeout: IORING_ENTER_EXT_ARG's timespec (5.11), or an
 * IORING_OP_TIMEOUT entry on older kernels. Other threads wake it through an eventfd watched by a multishot
 * IORING_OP_POLL_ADD that stays armed across wake-ups (re-armed if the kernel drops it, and one-shot on kernels
 * before 5.13).
 *
 * <h2>Readiness and completion styles</h2>
 * {@code pollReady} is a one-shot POLL_ADD per wait, level-triggered (readiness already there completes it at
 * once), so no readiness is cached. Multishot polls would pay only for a stack that waits on readiness over and
 * over; on this backend the POSIX stack uses {@link io.percore.reactor.SocketOps} instead, where RECV, SEND,
 * SENDMSG, RECVMSG, ACCEPT and CONNECT go straight to the kernel, which polls internally (FAST_POLL). Multishot
 * ACCEPT (5.19, found by probe) is offered through {@link io.percore.reactor.uring.MultishotAccept}.
 *
 * <h2>Not in this pass: multishot RECV with provided buffer rings</h2>
 * A multishot RECV needs buffers the kernel picks from a registered buffer ring (IORING_REGISTER_PBUF_RING, 5.19)
 * because one receive buffer cannot serve many completions. Those buffers would have to be pool buffers lent to
 * the kernel and returned as {@code memory.Buffer}s to the input stream, with a policy for refilling the ring
 * when the application holds buffers long and for ENOBUFS when it runs dry. That contract belongs with the POSIX
 * stack's input streams and the memory pool, which are being written; a single RECV per read, into the stream's
 * own buffer, is what this pass offers.
 *
 * <h2>Fallback</h2>
 * A kernel without io_uring, a sandbox that forbids it, or a kernel older than 5.6 makes
 * {@link io.percore.reactor.uring.IoUringBackend#create()} throw
 * {@link io.percore.sys.IoUringUnavailableException}, whose message says why; callers fall back to epoll.
 */
package io.percore.reactor.uring;
