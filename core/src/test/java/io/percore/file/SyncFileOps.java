package io.percore.file;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import io.percore.reactor.FileOps;
import io.percore.sys.Filesystem;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A test-only {@link FileOps} over the sys bindings: each operation does its pread, pwrite or fdatasync at once, on
 * the shard thread (fine for tests, never for production), and records what it was asked. When the result is
 * delivered depends on the mode, which is how the tests drive the scheduler's logic deterministically:
 * {@link Mode#SHUFFLED} resolves the operations issued during a task in a random order in a later task (completion
 * order differs from submission order, as it does with a real device); {@link Mode#HELD} keeps them until the test
 * calls {@link #completeOldest}, {@link #completeNewest} or {@link #completeAll}. Shard thread only.
 */
final class SyncFileOps implements FileOps {
    enum Mode { SHUFFLED, HELD }

    /** One system call as the scheduler issued it. */
    record Call(String kind, int fd, long position, long length, long address) {}

    private record Done(Promise<Integer> promise, int result, Throwable error) {}

    private final Mode mode;
    private final Random random = new Random(42);
    private final List<Call> calls = new ArrayList<>();
    private final List<Done> held = new ArrayList<>();
    private boolean flushScheduled;

    SyncFileOps(Mode mode) {
        this.mode = mode;
    }

    @Override
    public Future<Integer> read(int fd, long position, MemorySegment buf) {
        calls.add(new Call("read", fd, position, buf.byteSize(), buf.address()));
        return perform(() -> (int) Filesystem.pread(fd, buf, buf.byteSize(), position));
    }

    @Override
    public Future<Integer> write(int fd, long position, MemorySegment buf) {
        calls.add(new Call("write", fd, position, buf.byteSize(), buf.address()));
        return perform(() -> (int) Filesystem.pwrite(fd, buf, buf.byteSize(), position));
    }

    @Override
    public Future<Integer> fdatasync(int fd) {
        calls.add(new Call("fdatasync", fd, 0, 0, 0));
        return perform(() -> {
            Filesystem.fdatasync(fd);
            return 0;
        });
    }

    private interface Syscall {
        int run();
    }

    private Future<Integer> perform(Syscall call) {
        int result = 0;
        Throwable error = null;
        try {
            result = call.run();
        } catch (RuntimeException e) {
            error = e;
        }
        Promise<Integer> p = new Promise<>();
        held.add(new Done(p, result, error));
        if (mode == Mode.SHUFFLED && !flushScheduled) {
            flushScheduled = true;
            Reactor.current().schedule(() -> {
                flushScheduled = false;
                Collections.shuffle(held, random);
                completeAll();
            });
        }
        return p;
    }

    /** @return operations issued and not yet completed. */
    int pending() {
        return held.size();
    }

    /** Completes the operation issued first among those held. */
    void completeOldest() {
        deliver(held.removeFirst());
    }

    /** Completes the operation issued last among those held. */
    void completeNewest() {
        deliver(held.removeLast());
    }

    /** Completes every held operation, in the order held (a completion may issue more; those stay held). */
    void completeAll() {
        List<Done> now = new ArrayList<>(held);
        held.clear();
        for (Done d : now) {
            deliver(d);
        }
    }

    private static void deliver(Done d) {
        if (d.error() != null) {
            d.promise().setException(d.error());
        } else {
            d.promise().setValue(d.result());
        }
    }

    /** @return every call issued so far, in order. */
    List<Call> calls() {
        return List.copyOf(calls);
    }

    void clearCalls() {
        calls.clear();
    }
}
