package io.percore.reactor;

import io.percore.core.Future;
import java.lang.foreign.MemorySegment;

/**
 * Socket operations a completion-based backend (io_uring) performs itself, with no readiness step: the
 * operation is submitted and its future resolves when the kernel completes it. Readiness backends do not offer
 * this; the POSIX stack then waits with {@link ReactorBackend#pollReady} and calls the non-blocking system call.
 *
 * <p>Results follow the system calls': a count or a new descriptor; failures resolve the future with an
 * {@link io.percore.sys.ErrnoException} carrying the errno. Every segment passed in must stay valid until the
 * future resolves — the kernel reads or writes it meanwhile. Shard thread only.
 */
public interface SocketOps {
    /** recv(2): bytes received, 0 at end of stream. */
    Future<Integer> recv(PollableFd fd, MemorySegment buf, int flags);

    /** send(2): bytes sent (may be fewer than asked). */
    Future<Integer> send(PollableFd fd, MemorySegment buf, int flags);

    /** sendmsg(2) with a prepared msghdr (vectored writes, UDP with destination). */
    Future<Integer> sendmsg(PollableFd fd, MemorySegment msghdr, int flags);

    /** recvmsg(2) with a prepared msghdr (UDP with source address, ancillary data). */
    Future<Integer> recvmsg(PollableFd fd, MemorySegment msghdr, int flags);

    /** accept4(2): the new descriptor; {@code addr}/{@code addrLen} receive the peer's address. */
    Future<Integer> accept(PollableFd fd, MemorySegment addr, MemorySegment addrLen, int flags);

    /** connect(2) to a prepared sockaddr: 0 when connected. */
    Future<Integer> connect(PollableFd fd, MemorySegment addr, int addrLen);
}
