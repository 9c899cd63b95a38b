package io.percore.net.posix;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import io.percore.reactor.PollableFd;
import io.percore.reactor.ReactorBackend;
import io.percore.reactor.Readiness;
import io.percore.reactor.SocketOps;
import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;
import io.percore.sys.Native;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A test-only completion engine: {@link SocketOps} over a readiness backend, so the stack's completion path runs
 * before an io_uring backend exists. Each operation makes its system call on the raw msghdr/sockaddr it was
 * given (as the kernel would read them) and resolves its future from a later task, never inline, as a real
 * completion arrives from the reactor loop.
 *
 * <p>{@link Kind#POLL_INSIDE} behaves as io_uring does with a socket that is not ready: the operation stays
 * pending (waiting for readiness itself) until it can complete, so buffers stay owned by pending operations and
 * closing a socket cancels them. {@link Kind#REPORT_EAGAIN} answers EAGAIN instead, which the stack must handle
 * with a readiness wait and a resubmission.
 */
final class SyncSocketOps implements SocketOps {
    enum Kind { POLL_INSIDE, REPORT_EAGAIN }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final MethodHandle RECV = bind("recv", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle SEND = bind("send", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle SENDMSG = bind("sendmsg", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle RECVMSG = bind("recvmsg", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle ACCEPT4 = bind("accept4", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle CONNECT = bind("connect", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private static MethodHandle bind(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d, ERRNO);
    }

    /** A system call of one operation: the result, or -errno. */
    @FunctionalInterface
    private interface Call {
        long run() throws Throwable;
    }

    private final ReactorBackend backend;
    private final Kind kind;
    /** Operations submitted so far (tests check that the completion path was really taken). */
    long submitted;

    SyncSocketOps(ReactorBackend backend, Kind kind) {
        this.backend = backend;
        this.kind = kind;
    }

    @Override
    public Future<Integer> recv(PollableFd fd, MemorySegment buf, int flags) {
        return op(fd, Readiness.IN, "recv",
                () -> (long) RECV.invokeExact(Native.errnoSlot(), fd.fd(), buf, buf.byteSize(), flags));
    }

    @Override
    public Future<Integer> send(PollableFd fd, MemorySegment buf, int flags) {
        return op(fd, Readiness.OUT, "send",
                () -> (long) SEND.invokeExact(Native.errnoSlot(), fd.fd(), buf, buf.byteSize(), flags));
    }

    @Override
    public Future<Integer> sendmsg(PollableFd fd, MemorySegment msghdr, int flags) {
        return op(fd, Readiness.OUT, "sendmsg",
                () -> (long) SENDMSG.invokeExact(Native.errnoSlot(), fd.fd(), msghdr, flags));
    }

    @Override
    public Future<Integer> recvmsg(PollableFd fd, MemorySegment msghdr, int flags) {
        return op(fd, Readiness.IN, "recvmsg",
                () -> (long) RECVMSG.invokeExact(Native.errnoSlot(), fd.fd(), msghdr, flags));
    }

    @Override
    public Future<Integer> accept(PollableFd fd, MemorySegment addr, MemorySegment addrLen, int flags) {
        return op(fd, Readiness.IN, "accept4",
                () -> (long) (int) ACCEPT4.invokeExact(Native.errnoSlot(), fd.fd(), addr, addrLen, flags));
    }

    @Override
    public Future<Integer> connect(PollableFd fd, MemorySegment addr, int addrLen) {
        Promise<Integer> p = new Promise<>();
        submitted++;
        long r = call("connect", () -> (long) (int) CONNECT.invokeExact(Native.errnoSlot(), fd.fd(), addr, addrLen));
        if (r == -Errno.EINPROGRESS && kind == Kind.POLL_INSIDE) {
            // As io_uring does: wait for the handshake, then report how it ended.
            backend.pollReady(fd, Readiness.OUT).onComplete((bits, err) -> {
                if (err != null) {
                    p.setException(err);
                    return;
                }
                int soError = io.percore.sys.Socket.pendingError(fd.fd());
                complete(p, "connect", soError == 0 ? 0 : -soError);
            });
            return p;
        }
        later(p, "connect", r);
        return p;
    }

    private Future<Integer> op(PollableFd fd, int direction, String name, Call call) {
        Promise<Integer> p = new Promise<>();
        submitted++;
        attempt(p, fd, direction, name, call);
        return p;
    }

    private void attempt(Promise<Integer> p, PollableFd fd, int direction, String name, Call call) {
        if (fd.isForgotten()) {
            later(p, name, -Errno.ECANCELED);
            return;
        }
        long r = call(name, call);
        if (r == -Errno.EAGAIN && kind == Kind.POLL_INSIDE) {
            backend.pollReady(fd, direction).onComplete((bits, err) -> {
                if (err != null) {
                    p.setException(err); // cancelled: the socket was forgotten
                } else {
                    attempt(p, fd, direction, name, call);
                }
            });
            return;
        }
        later(p, name, r);
    }

    private static long call(String name, Call call) {
        try {
            for (;;) {
                long r = call.run();
                if (r >= 0) {
                    return r;
                }
                int errno = Native.lastErrno();
                if (errno != Errno.EINTR) {
                    return -errno;
                }
            }
        } catch (Throwable t) {
            throw new IllegalStateException(name + " downcall failed", t);
        }
    }

    /** Resolves from a task of its own, as completions arrive from the reactor loop, never inline. */
    private static void later(Promise<Integer> p, String name, long r) {
        Reactor.current().schedule(() -> complete(p, name, r));
    }

    private static void complete(Promise<Integer> p, String name, long r) {
        if (r >= 0) {
            p.setValue((int) r);
        } else {
            p.setException(new ErrnoException((int) -r, name, "test completion engine"));
        }
    }
}
