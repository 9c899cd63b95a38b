/**
 * The io_uring reactor backend ({@code --reactor-backend io_uring}).
 *
 * <h2>One ring per shard, one submission per turn</h2>
 * Each shard owns a ring ({@link io.percore.sys.IoUring}: raw io_uring_setup/enter/register through FFM, no
 * liburing) created on the shard's thread with SINGLE_ISSUER and DEFER_TASKRUN where the kernel has them, so the
 * kernel runs completion work only when the shard asks for completions and never interrupts it to do so.
 * Operations write their entries into the SQ as tasks ask for them; nothing reaches the kernel until the reactor
 * turn ends in {@link io.percore.reactor.ReactorBackend#poll()} or {@link io.percore.reactor.ReactorBackend#sleep},
 * which submit the whole batch with one io_uring_enter. A batch larger than the SQ is submitted early, as it fills,
 * and file reads and writes go in earlier, as {@link io.percore.reactor.FileOps#SUBMIT_BATCH} says, so the device
 * starts on them while the turn goes on.
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
 * <h2>Multishot RECV into provided buffers</h2>
 * On Linux 6.0 and later (found by probe: SEND_ZC arrived in the same release) a TCP connection's input is
 * received by one multishot IORING_OP_RECV with IOSQE_BUFFER_SELECT ({@link io.percore.reactor.uring.MultishotRecv},
 * offered to the POSIX stack as {@link io.percore.reactor.SocketOps#receiveStream}). The kernel picks each buffer
 * from a ring registered per shard with IORING_REGISTER_PBUF_RING ({@link io.percore.reactor.uring.BufferRing},
 * 256 × 16 KiB by default), and the reader gets that very memory as a {@code memory.Buffer}; releasing the buffer
 * puts it back in the ring, exactly once, from whichever thread releases it. One submission serves every
 * receive of the connection, and an idle connection holds no buffer at all, where a RECV per read pins one.
 * A final completion (no CQE_F_MORE) re-arms; ENOBUFS (the ring is empty) waits for buffers, or, when the ring
 * stays empty while a reader waits, receives once into the shard's pool; a reader that falls behind pauses its
 * receive at 256 KiB (or a quarter of the ring), leaving the rest to TCP's window. Where the kernel lacks it,
 * or {@code -Dpercore.io_uring.recv-multishot=false} turns it off, reads issue one RECV each, as before; the
 * first backend to find the feature missing logs it once.
 *
 * <h2>SEND_ZC: available, off by default</h2>
 * IORING_OP_SEND_ZC sends from the application's buffer and posts a second completion (CQE_F_NOTIF) once the
 * kernel no longer reads it; the POSIX stack keeps a view of the buffer until then. With
 * {@code -Dpercore.io_uring.send-zc-threshold=BYTES} fragments of that size and more go out this way. It is off
 * by default because it does not pay on loopback (the receiving side copies anyway, and the notification is one
 * more completion per send).
 *
 * <h2>Measured (ReceiveStreamBenchmark in the tests, two shards over loopback TCP, 2026-11-23)</h2>
 * The machine was shared and loaded (load average 14 to 30 on two cores), so rates swing by 3x from round to
 * round; the harness also reports the CPU time the two shard threads spent, user and system, which the load
 * distorts less. Medians of 11 interleaved rounds:
 * <pre>
 *                      bulk 256 MiB              ping-pong 64 B
 *   single RECV        341 MiB/s  692 CPU-ns/KiB   3128 trips/s  82 CPU-us/trip
 *   multishot          343 MiB/s  687 CPU-ns/KiB   1887 trips/s  84 CPU-us/trip
 *   multishot+SEND_ZC  258 MiB/s  920 CPU-ns/KiB   2804 trips/s  79 CPU-us/trip
 * </pre>
 * A second ping-pong run (9 rounds) gave 3679, 3460 and 2901 trips/s: the ping-pong differences are noise (the
 * last two configurations share the receive path). Multishot receive costs the same CPU per byte as a RECV per
 * read, and SEND_ZC a third more (920 against 690 ns/KiB, in every round), hence off. What multishot receive
 * changes for certain is memory: 1000 connections waiting in a read pin 7.8 MiB of the shard's pool with one
 * RECV per read (an 8 KiB buffer each) and nothing with multishot receive, whose ring is a fixed 4 MiB.
 * {@code ./percore bench tcp} (64 connections of 64-byte ping-pong against the echo server on one pinned
 * shard), five alternating runs each way with {@code JAVA_TOOL_OPTIONS=-Dpercore.io_uring.recv-multishot=...}:
 * a median of 163k requests per server CPU-second with one RECV per read and 169k with multishot receive
 * (run by run: 172/164, 163/169, 177/179, 123/123, 128/176), and 0.035 against 0.044 system calls per request:
 * no difference this machine can resolve.
 *
 * <h2>Registered files: not used</h2>
 * A fixed-file table would spare each submission the lookup and reference count of the socket's file. With
 * multishot receives the lookup happens once per connection on the receive side, so only sends would gain, a
 * few atomic operations on an uncontended cache line beside a send that costs microseconds. Against that: a
 * table update at every connect and close, a table sized for the most connections a shard may hold, and a
 * change of close semantics (the table holds the file open, so the FIN waits until the slot is cleared), while
 * setsockopt, shutdown and getsockname still need the descriptor. Not worth it here.
 *
 * <h2>Fallback</h2>
 * A kernel without io_uring, a sandbox that forbids it, or a kernel older than 5.6 makes
 * {@link io.percore.reactor.uring.IoUringBackend#create()} throw
 * {@link io.percore.sys.IoUringUnavailableException}, whose message says why; callers fall back to epoll.
 */
package io.percore.reactor.uring;
