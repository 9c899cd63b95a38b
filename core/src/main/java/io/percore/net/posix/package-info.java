/**
 * The POSIX network stack: the kernel's TCP/IP, driven by each shard's reactor backend.
 *
 * <h2>One stack per shard, two I/O paths</h2>
 * A {@link io.percore.net.posix.PosixStack} belongs to one shard and creates sockets that belong to it too;
 * {@link io.percore.net.Network#stack()} hands each shard its own. Every descriptor is non-blocking. Over a
 * readiness backend (epoll, linux-aio) an operation first makes its system call and, on EAGAIN, waits with
 * {@code pollReady} before trying again: reads wait only after a short read (a full buffer suggests more is
 * queued), sends loop until the queue is empty or the kernel says EAGAIN, accepts until EAGAIN. Over a
 * completion backend (io_uring, whose {@code socketOps()} is not null) the same operations are submitted as
 * they are, and the memory they name — the read buffer, the iovecs and msghdr of a send, the address of an
 * accept or a connect — stays owned by the operation until its completion arrives, even when the socket is
 * closed first (the backend's {@code forget} cancels; the completion still comes, and frees). A completion
 * that still says EAGAIN falls back to a readiness wait and a resubmission, so either kind of backend may
 * hand out non-blocking sockets.
 *
 * <h2>Writes: batched, vectored, bounded</h2>
 * A connection's writes join one queue of buffer fragments. The first write of a task schedules a send at
 * the end of that task, so everything a task writes leaves in one {@code sendmsg} of up to 1,024 iovecs,
 * without copying. A write's future is ready while the queue holds at most 256 KiB; beyond, it resolves as
 * the kernel takes data — the back-pressure a writer that waits for its writes obeys. {@code flush()} waits
 * until everything written so far is in the kernel; closing the output flushes, then sends FIN.
 *
 * <h2>Spreading connections over shards</h2>
 * Shards that listen on the same address share <em>one</em> kernel listening socket. Each shard that waits in
 * {@code accept()} takes connections from it (each registered in its own backend), and for every connection
 * the {@link io.percore.net.posix.ConnectionBalancer} names the shard that gets it; a connection for another
 * shard travels there as its bare descriptor through {@code Smp.submitTo}, and that shard wraps it in a socket
 * of its own. The policies are Seastar's: {@code CONNECTION_DISTRIBUTION} (fewest live connections),
 * {@code PORT} (peer port modulo the shard count) and {@code FIXED}. A shard that does not listen on the
 * address is never chosen.
 *
 * <p><b>One wake-up per connection.</b> Each member registers the shared socket as
 * {@link io.percore.reactor.PollableFd#shared shared}, and only while its program waits in {@code accept()}: the
 * epoll backend registers it with {@code EPOLLEXCLUSIVE}, the linux-aio backend sleeps in an epoll that holds that
 * exclusive registration, and io_uring's accept arms an exclusive poll of its own, so a new connection wakes one
 * sleeping shard rather than all of them. The shard that is woken accepts until EAGAIN, even if its program stopped
 * waiting meanwhile, since the others were not told.
 *
 * <p><b>Why not SO_REUSEPORT.</b> With one socket per shard the kernel picks the shard by a hash of the
 * connection's addresses before any of our code runs, so the distribution is only as even as the hash over a
 * few connections, which is not even (Seastar's users report new connections skewed by up to three times,
 * seastar#3514 and #290, whatever the cause there). Steering with a BPF program
 * could implement {@code PORT}, but {@code CONNECTION_DISTRIBUTION} needs the live count of every shard at the
 * moment of the decision, which a kernel program only has if every shard mirrors its count into a BPF map on
 * every open and close. Deciding in user space after accept has the counts at hand, costs one cross-shard
 * message for the connections that move, and makes every policy exact. SO_REUSEPORT also lets two unrelated
 * listeners share a port silently, where we want {@code EADDRINUSE}.
 *
 * <p><b>Exact counts.</b> A shard's live count is what every acceptor has routed to it minus what closed there,
 * each number with a single writer published by a release store (see {@link io.percore.net.posix.ConnectionBalancer}):
 * a burst of accepts sees each of its own decisions at once, so it spreads evenly even before the hand-offs
 * arrive. The test suite holds a burst of 999 connections over three shards to ±10 % of even (it gets 333
 * each) and checks that the emptiest shard refills first.
 *
 * <h2>Errors</h2>
 * Kernel errors become the typed {@link io.percore.net.NetException}s (refused, reset, timed out, address in
 * use, unreachable, closed) with the errno and the connection's address, and fail only that connection's
 * futures. {@code abortAccept()} wakes the shard's pending accepts with {@code AcceptAborted} and takes the
 * shard out of the balancing; connections already routed to it but not yet taken are closed.
 */
package io.percore.net.posix;
