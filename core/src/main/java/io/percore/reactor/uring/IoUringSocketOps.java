package io.percore.reactor.uring;

import io.percore.core.Future;
import io.percore.reactor.FdClosedException;
import io.percore.reactor.PollableFd;
import io.percore.reactor.ReceiveStream;
import io.percore.reactor.SocketOps;
import io.percore.sys.IoUringOpcode;
import io.percore.sys.IoUringSqe;
import java.lang.foreign.MemorySegment;

/**
 * Socket operations submitted straight to the ring: RECV, SEND, SENDMSG, RECVMSG, ACCEPT, CONNECT. The kernel
 * tries each at once and, when the socket is not ready, polls it internally (FAST_POLL) and completes it later:
 * no readiness round trip through the application. Each operation is linked to its {@link PollableFd}, so
 * {@link IoUringBackend#forget} cancels it, and holds the segments it was given until its completion.
 *
 * <p>Shard thread only. Results and failures as {@link SocketOps} describes; a forgotten descriptor fails at once
 * with {@link FdClosedException}.
 */
final class IoUringSocketOps implements SocketOps {
    /** Size of a {@code struct msghdr} on 64-bit Linux. */
    private static final long MSGHDR_SIZE = 56;

    private final IoUringBackend backend;

    IoUringSocketOps(IoUringBackend backend) {
        this.backend = backend;
    }

    @Override
    public Future<Integer> recv(PollableFd fd, MemorySegment buf, int flags) {
        int len = Buffers.writableLength(buf);
        long sqe = backend.sqe();
        PendingOp op = backend.startOnFd(fd, sqe, IoUringOpcode.RECV, buf, null);
        if (op == null) {
            return Future.failed(new FdClosedException(fd));
        }
        IoUringSqe.recv(backend.sqes(), sqe, fd.fd(), buf.address(), len, flags, op.userData);
        return op.promise;
    }

    @Override
    public Future<Integer> send(PollableFd fd, MemorySegment buf, int flags) {
        int len = Buffers.readableLength(buf);
        long sqe = backend.sqe();
        PendingOp op = backend.startOnFd(fd, sqe, IoUringOpcode.SEND, buf, null);
        if (op == null) {
            return Future.failed(new FdClosedException(fd));
        }
        IoUringSqe.send(backend.sqes(), sqe, fd.fd(), buf.address(), len, flags, op.userData);
        return op.promise;
    }

    @Override
    public Future<Integer> sendmsg(PollableFd fd, MemorySegment msghdr, int flags) {
        Buffers.requireNative(msghdr, MSGHDR_SIZE, "msghdr");
        long sqe = backend.sqe();
        PendingOp op = backend.startOnFd(fd, sqe, IoUringOpcode.SENDMSG, msghdr, null);
        if (op == null) {
            return Future.failed(new FdClosedException(fd));
        }
        IoUringSqe.sendmsg(backend.sqes(), sqe, fd.fd(), msghdr.address(), flags, op.userData);
        return op.promise;
    }

    @Override
    public Future<Integer> recvmsg(PollableFd fd, MemorySegment msghdr, int flags) {
        Buffers.requireNative(msghdr, MSGHDR_SIZE, "msghdr");
        long sqe = backend.sqe();
        PendingOp op = backend.startOnFd(fd, sqe, IoUringOpcode.RECVMSG, msghdr, null);
        if (op == null) {
            return Future.failed(new FdClosedException(fd));
        }
        IoUringSqe.recvmsg(backend.sqes(), sqe, fd.fd(), msghdr.address(), flags, op.userData);
        return op.promise;
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code addr} and {@code addrLen} may both be null (or {@link MemorySegment#NULL}) when the peer's address
     * is not wanted. A connection accepted after {@code fd} was forgotten is closed by the backend.
     */
    @Override
    public Future<Integer> accept(PollableFd fd, MemorySegment addr, MemorySegment addrLen, int flags) {
        boolean noAddr = addr == null || addr.equals(MemorySegment.NULL);
        boolean noLen = addrLen == null || addrLen.equals(MemorySegment.NULL);
        if (noAddr != noLen) {
            throw new IllegalArgumentException("addr and addrLen go together: give both or neither");
        }
        if (!noAddr) {
            Buffers.requireNative(addrLen, Integer.BYTES, "addrLen");
            Buffers.writableLength(addr);
        }
        long sqe = backend.sqe();
        PendingOp op = backend.startOnFd(fd, sqe, IoUringOpcode.ACCEPT, noAddr ? null : addr, noLen ? null : addrLen);
        if (op == null) {
            return Future.failed(new FdClosedException(fd));
        }
        IoUringSqe.accept(backend.sqes(), sqe, fd.fd(), noAddr ? 0 : addr.address(), noLen ? 0 : addrLen.address(),
                flags, false, op.userData);
        return op.promise;
    }

    @Override
    public Future<Integer> connect(PollableFd fd, MemorySegment addr, int addrLen) {
        Buffers.requireNative(addr, addrLen, "sockaddr");
        long sqe = backend.sqe();
        PendingOp op = backend.startOnFd(fd, sqe, IoUringOpcode.CONNECT, addr, null);
        if (op == null) {
            return Future.failed(new FdClosedException(fd));
        }
        IoUringSqe.connect(backend.sqes(), sqe, fd.fd(), addr.address(), addrLen, op.userData);
        return op.promise;
    }

    /**
     * {@inheritDoc}
     *
     * <p>A {@link MultishotRecv} into the shard's provided buffers; null when the kernel lacks multishot
     * receives (before 6.0), they were turned off ({@link IoUringBackend#setReceiveStreams}), or the kernel
     * refused the buffer ring. A forgotten descriptor gives a stream whose first read fails.
     */
    @Override
    public ReceiveStream receiveStream(PollableFd fd) {
        BufferRing buffers = backend.usesReceiveStreams() ? backend.bufferRing() : null;
        return buffers == null ? null : new MultishotRecv(backend, buffers, fd);
    }

    @Override
    public int zeroCopyThreshold() {
        return backend.zeroCopyThreshold();
    }

    /**
     * {@inheritDoc}
     *
     * <p>IORING_OP_SEND_ZC. {@code onKernelDone} runs from the reactor loop at the kernel's notification; for
     * TCP that is once the peer acknowledged the data, which may be after the descriptor was forgotten.
     */
    @Override
    public Future<Integer> sendZeroCopy(PollableFd fd, MemorySegment buf, int flags, Runnable onKernelDone) {
        if (backend.zeroCopyThreshold() == 0) {
            throw new UnsupportedOperationException("zero-copy sends are off on this backend");
        }
        int len = Buffers.readableLength(buf);
        long sqe = backend.sqe();
        PendingOp op = backend.startSendZc(fd, sqe, buf, onKernelDone);
        if (op == null) {
            onKernelDone.run();
            return Future.failed(new FdClosedException(fd));
        }
        IoUringSqe.sendZeroCopy(backend.sqes(), sqe, fd.fd(), buf.address(), len, flags, op.userData);
        return op.promise;
    }
}
