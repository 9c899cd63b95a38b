/**
 * The linux-aio reactor backend ({@code --reactor-backend linux-aio}): Linux native AIO driven through FFM, the engine
 * Seastar used by default before io_uring.
 *
 * <h2>One context per shard, one kind of completion</h2>
 * Each shard owns an AIO context (io_setup). Everything the reactor waits for is an iocb in that context: readiness
 * of sockets, pipes and eventfds is an {@code IOCB_CMD_POLL} request (one-shot: it completes once with the revents,
 * and the next wait submits a new one), file I/O is PREAD, PWRITE or FDSYNC. So a single completion ring reports both,
 * and the reactor needs no epoll beside it. Even the wake-up is a POLL: other shards signal an eventfd on which a POLL
 * is always pending; its completion ends the shard's sleep, and the backend drains the eventfd and submits the POLL
 * again, ahead of everything else queued, so a full context can never leave the shard deaf to wake-ups.
 *
 * <h2>iocbs are pooled and outlive their futures</h2>
 * An operation takes a 64-byte iocb from a pool (a mapping touched only as far as it is used) and names it by its
 * address in {@code aio_data}; the completion brings the address back, which leads to the slot's promise. A slot
 * returns to the pool only when the kernel's completion for it has been reaped. That is the rule that makes
 * {@code forget} safe: it fails the pending waits at once with {@code FdClosedException} and asks io_cancel to end
 * their POLLs, but the slots stay taken until the cancelled requests complete, so a late completion can only find
 * its own, abandoned slot and never a newer operation's. File buffers are held the same way until completion.
 * Closing the backend destroys the context, which cancels and waits for whatever is still in flight.
 *
 * <h2>Batched submission, user-space reaping</h2>
 * Operations started during a reactor turn are queued and handed to the kernel with one io_submit when the reactor
 * next polls or sleeps, or as soon as a batch fills; file reads and writes go in earlier, as
 * {@link io.percore.reactor.FileOps#SUBMIT_BATCH} says, so the device starts on them while the turn goes on.
 * io_submit may take only a prefix: the rest stays queued, and the first refused iocb, submitted alone, tells why
 * (EAGAIN: wait for room; anything else fails that operation). The backend keeps at most the context's size in
 * the kernel, so the kernel's limit is met in user space. Completions are read straight from the ring the kernel maps into the process (tail with acquire, head published with release), as
 * libaio and Seastar do, so a turn with nothing finished costs no system call; io_getevents is the fallback when the
 * ring's header is not the known one, and the way to block when the shard sleeps.
 *
 * <h2>Limits</h2>
 * Buffered file I/O is not asynchronous under linux-aio: the kernel copies the data inside io_submit, so it completes
 * synchronously during submission. Only O_DIRECT files on filesystems that support it are truly asynchronous.
 * Destroying a context takes an RCU grace period (tens of milliseconds), which is why shards of this backend stop a
 * little more slowly than epoll's.
 *
 * <h2>Ten thousand idle connections: the nested epoll</h2>
 * A POLL holds a place in the context until it fires, and an idle connection's read wait may never fire. Making the
 * context as large as the descriptors a shard may watch is not an answer: io_setup charges twice the size against
 * {@code fs.aio-max-nr}, a limit the whole machine shares (65,536 by default), and pins the ring in kernel memory.
 * So direct POLLs have a budget (half the context). A descriptor that must wait while the budget is spent moves to an
 * epoll instance the backend creates beside the context, for good: registered once, edge-triggered for both
 * directions, readiness arriving while nobody waits remembered for the next wait. One POLL, always pending, watches
 * the epoll descriptor; when it fires, the backend takes the epoll's events without blocking, answers the waits and
 * arms the POLL again, ahead of everything queued. However many descriptors wait, the context holds the budget plus
 * two requests, and file I/O always finds room. Busy descriptors keep the direct path (a wait costs a slot in a
 * batched io_submit); the idle ones that pile up cost an epoll registration each (a few hundred bytes of kernel
 * memory) and nothing per turn.
 *
 * <h2>Shared listeners: one shard woken per connection</h2>
 * A listening socket several shards accept from ({@link io.percore.reactor.PollableFd#shared}) must wake one of them
 * per new connection, not all. IOCB_CMD_POLL has no exclusive mode: the kernel queues every aio poll on the socket
 * as an ordinary waiter and wakes them all. EPOLLEXCLUSIVE exists, but the kernel honours it only for tasks sleeping
 * in epoll_wait on that very epoll; an epoll that is itself watched (by a POLL iocb, or nested in another epoll) is
 * woken like any other. So a shared descriptor waits in a second epoll, the sleeping epoll, registered with
 * EPOLLEXCLUSIVE for the directions waited for and only while a wait is pending; and while such a wait is pending the
 * shard sleeps in epoll_wait on that epoll instead of in io_getevents. To hear of its own I/O there, every iocb is
 * submitted with IOCB_FLAG_RESFD naming a completion eventfd that sits in the sleeping epoll (edge-triggered, never
 * drained); after the wait the ring is read as always. A shard that is awake reads the sleeping epoll without
 * blocking on each poll, so it sees a connection the kernel did not wake it for.
 */
package io.percore.reactor.aio;
