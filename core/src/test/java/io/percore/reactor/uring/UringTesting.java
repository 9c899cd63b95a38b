package io.percore.reactor.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.sys.ErrnoException;
import io.percore.sys.Native;
import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Drives a backend from the test thread, which owns it: futures made here have no shard, so their
 * continuations run inline when the backend's completions resolve them.
 */
final class UringTesting {
    private UringTesting() {}

    static final long TIMEOUT_NANOS = 10_000_000_000L;

    private static final MethodHandle OPEN = Native.downcallErrno("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    static final int O_RDWR = 2;

    /** Turns the backend until {@code f} resolves (failing the test after 10 s) and returns it. */
    static <T> Future<T> await(IoUringBackend backend, Future<T> f) {
        long deadline = System.nanoTime() + TIMEOUT_NANOS;
        while (!f.isDone()) {
            long left = deadline - System.nanoTime();
            assertTrue(left > 0, "operation did not complete in 10 s: " + f);
            if (!backend.poll()) {
                backend.sleep(Math.min(left, 50_000_000L));
            }
        }
        return f;
    }

    /** @return the value of {@code f} once the backend resolved it. */
    static <T> T value(IoUringBackend backend, Future<T> f) {
        Future<T> done = await(backend, f);
        if (done.isFailed()) {
            throw new AssertionError("expected a value, got " + done.failure(), done.failure());
        }
        return done.getNow();
    }

    /** @return the failure of {@code f} once the backend resolved it. */
    static Throwable failure(IoUringBackend backend, Future<?> f) {
        Future<?> done = await(backend, f);
        assertTrue(done.isFailed(), "expected a failure, got " + done);
        return done.failure();
    }

    /** Asserts {@code f} fails with an ErrnoException carrying {@code errno}. */
    static void assertErrno(IoUringBackend backend, Future<?> f, int errno) {
        Throwable t = failure(backend, f);
        ErrnoException e = assertInstanceOf(ErrnoException.class, t);
        assertEquals(errno, e.errno(), e.getMessage());
    }

    /** Polls a few times without blocking, so submitted work reaches the kernel and quick completions come back. */
    static void turn(IoUringBackend backend, int times) {
        for (int i = 0; i < times; i++) {
            backend.poll();
        }
    }

    static int open(Path path, int flags) {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment p = arena.allocateFrom(path.toString());
            int fd = (int) OPEN.invokeExact(Native.errnoSlot(), p, flags, 0);
            if (fd < 0) {
                throw new ErrnoException(Native.lastErrno(), "open", path.toString());
            }
            return fd;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static long countFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    static void fill(MemorySegment seg, byte value) {
        seg.fill(value);
    }

    static void assertAll(MemorySegment seg, byte value) {
        for (long i = 0; i < seg.byteSize(); i++) {
            if (seg.get(ValueLayout.JAVA_BYTE, i) != value) {
                throw new AssertionError("byte " + i + " changed to " + seg.get(ValueLayout.JAVA_BYTE, i));
            }
        }
    }
}
