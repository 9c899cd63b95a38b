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

    /**
     * Starts receiving a connected stream socket's data ahead of the reader, into buffers of the backend's own
     * (see {@link ReceiveStream}). Until the stream is closed or {@code fd} forgotten, no other receive may be
     * issued on {@code fd}.
     *
     * @return the stream, or null when this backend (or this kernel, or its configuration) does not offer one:
     *         the caller then issues {@link #recv} per read. The default returns null.
     */
    default ReceiveStream receiveStream(PollableFd fd) {
        return null;
    }

    /**
     * @return the smallest send for which {@link #sendZeroCopy} is worth it, or 0 when this backend does not
     *         offer zero-copy sends (the default)
     */
    default int zeroCopyThreshold() {
        return 0;
    }

    /**
     * send(2) without copying {@code buf} into the socket: the future resolves with the bytes sent, and
     * {@code onKernelDone} runs (on the shard, from the reactor loop) once the kernel no longer reads
     * {@code buf}, which may be later; {@code buf} must stay valid until then. {@code onKernelDone} also runs when
     * the send fails or is cancelled. Offered only when {@link #zeroCopyThreshold()} is not 0.
     *
     * @throws UnsupportedOperationException when {@link #zeroCopyThreshold()} is 0 (the default)
     */
    default Future<Integer> sendZeroCopy(PollableFd fd, MemorySegment buf, int flags, Runnable onKernelDone) {
        throw new UnsupportedOperationException("this backend has no zero-copy send");
    }
}
