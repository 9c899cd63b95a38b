package io.percore.file;

import static io.percore.file.FileTesting.on;
import static io.percore.file.FileTesting.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Reactor;
import io.percore.memory.Buffer;
import io.percore.reactor.ReactorBackends;
import io.percore.smp.Smp;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's logic, driven step by step: {@link SyncFileOps} in held mode performs each system call at once
 * but delivers its completion only when the test says, so the test sees exactly which requests the scheduler hands
 * to the engine and when. Covers the in-flight bound, splitting, merging, the choice by shares, no credit for an
 * idle class, and completions in any order reaching the right requests.
 */
class IoSchedulerTest {
    private static final int MIB = 1 << 20;
    private static Path dir;
    private static Path file;
    private static byte[] content;

    @BeforeAll
    static void makeFile() throws Exception {
        dir = FileTesting.scratchDir("sched");
        file = dir.resolve("data");
        content = pattern(5, 2 * MIB);
        java.nio.file.Files.write(file, content);
    }

    @AfterAll
    static void removeDir() {
        FileTesting.deleteTree(dir);
    }

    /** Runs {@code body} on a fresh shard whose scheduler uses held operations and {@code config}. */
    private static <T> T withHeldOps(IoQueueConfig config, HeldBody<T> body) throws Exception {
        Smp smp = FileTesting.start(ReactorBackends.defaultName(), 1);
        try {
            return on(smp, 0, () -> Async.run(() -> {
                SyncFileOps ops = new SyncFileOps(SyncFileOps.Mode.HELD);
                IoScheduler.current().useFileOps(ops, "held");
                IoScheduler.current().configure(config);
                DmaFile f = Async.await(Files.openDma(file.toString(), OpenOptions.readWrite()));
                try {
                    return body.call(f, ops);
                } finally {
                    while (ops.pending() > 0) {
                        ops.completeAll();
                        settle();
                    }
                    Async.await(f.close());
                }
            }));
        } finally {
            smp.stop();
        }
    }

    private interface HeldBody<T> {
        T call(DmaFile f, SyncFileOps ops) throws Exception;
    }

    /** Lets completions run their continuations (each completion is a task; a dispatch may follow). */
    private static void settle() {
        for (int i = 0; i < 4; i++) {
            Async.await(Reactor.yieldNow());
        }
    }

    private static Future<Integer> readBlock(DmaFile f, long pos, int len, IoClass c, List<Buffer> keep) {
        Buffer b = f.allocateBuffer(len);
        keep.add(b);
        return f.read(pos, b, c);
    }

    @Test
    void noMoreThanTheBoundIsInFlight() throws Exception {
        List<Integer> inFlightSeen = withHeldOps(IoQueueConfig.defaults().withMaxInFlight(4), (f, ops) -> {
            List<Buffer> bufs = new ArrayList<>();
            List<Future<Integer>> reads = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                reads.add(readBlock(f, i * 2L * 4096, 4096, IoClass.DEFAULT, bufs)); // gaps: nothing merges
            }
            List<Integer> seen = new ArrayList<>();
            seen.add(ops.calls().size());
            while (ops.pending() > 0) {
                ops.completeOldest();
                settle();
                seen.add(ops.pending());
            }
            for (Future<Integer> r : reads) {
                assertEquals(4096, r.getNow());
            }
            seen.add(ops.calls().size());
            bufs.forEach(Buffer::release);
            return seen;
        });
        // 4 issued at once; each completion lets one more in until the 10 are out; 10 calls in all.
        assertEquals(List.of(4, 4, 4, 4, 4, 4, 4, 3, 2, 1, 0, 10), inFlightSeen);
    }

    @Test
    void largeRequestsAreSplitIntoDevicePiecesAndReassembledInAnyOrder() throws Exception {
        List<String> out = withHeldOps(IoQueueConfig.defaults().withMaxRequestBytes(128 << 10), (f, ops) -> {
            List<String> res = new ArrayList<>();
            Buffer big = f.allocateBuffer(MIB + 4096);
            Future<Integer> r = f.read(4096, big);
            for (SyncFileOps.Call c : ops.calls()) {
                res.add(c.position() + "+" + c.length());
            }
            while (ops.pending() > 0) {
                ops.completeNewest(); // last piece first
                settle();
            }
            res.add("read " + r.getNow());
            res.add(Arrays.equals(Arrays.copyOfRange(content, 4096, 4096 + MIB + 4096), big.toArray()) ? "same" : "differs");
            big.release();
            // At the end of the file: the pieces past it read nothing, the request reports the bytes up to the end.
            ops.clearCalls();
            Buffer tail = f.allocateBuffer(MIB);
            Future<Integer> t = f.read(2L * MIB - 300 * 1024, tail);
            while (ops.pending() > 0) {
                ops.completeNewest();
                settle();
            }
            res.add("tail " + ops.calls().size() + " pieces, read " + t.getNow());
            tail.release();
            return res;
        });
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            expected.add((4096 + i * (128L << 10)) + "+" + (128 << 10));
        }
        expected.add((4096 + MIB) + "+4096");
        expected.add("read " + (MIB + 4096));
        expected.add("same");
        expected.add("tail 8 pieces, read " + 300 * 1024);
        assertEquals(expected, out);
    }

    @Test
    void requestsThatContinueEachOtherRideOnOneSystemCall() throws Exception {
        for (boolean merge : new boolean[] {true, false}) {
            List<String> out = withHeldOps(IoQueueConfig.defaults().withMaxInFlight(1).withMerge(merge), (f, ops) -> {
                List<Buffer> bufs = new ArrayList<>();
                Future<Integer> blocker = readBlock(f, 0, 4096, IoClass.DEFAULT, bufs);
                Buffer both = f.allocateBuffer(3 * 4096);
                Buffer a = both.share(0, 4096);
                Buffer b = both.share(4096, 4096);
                Buffer c = both.share(8192, 4096);
                Future<Integer> ra = f.read(8192, a);
                Future<Integer> rb = f.read(12288, b);
                Future<Integer> rc = f.read(40960, c); // next in memory, not in the file: separate
                while (ops.pending() > 0) {
                    ops.completeOldest();
                    settle();
                }
                List<String> res = new ArrayList<>();
                for (SyncFileOps.Call call : ops.calls()) {
                    res.add(call.position() + "+" + call.length());
                }
                res.add(blocker.getNow() + " " + ra.getNow() + " " + rb.getNow() + " " + rc.getNow());
                res.add(Arrays.equals(Arrays.copyOfRange(content, 8192, 16384),
                        Arrays.copyOf(both.toArray(), 8192)) ? "same" : "differs");
                res.add(Arrays.equals(Arrays.copyOfRange(content, 40960, 45056),
                        Arrays.copyOfRange(both.toArray(), 8192, 12288)) ? "same" : "differs");
                long merges = IoScheduler.current().stats().getFirst().merges();
                res.add("merges " + merges);
                for (Buffer x : List.of(a, b, c, both)) {
                    x.release();
                }
                bufs.forEach(Buffer::release);
                return res;
            });
            List<String> expected = merge
                    ? List.of("0+4096", "8192+8192", "40960+4096", "4096 4096 4096 4096", "same", "same", "merges 1")
                    : List.of("0+4096", "8192+4096", "12288+4096", "40960+4096", "4096 4096 4096 4096", "same", "same",
                    "merges 0");
            assertEquals(expected, out, "merge " + merge);
        }
    }

    @Test
    void sharesDecideWhichClassGoesNextAndIdlenessEarnsNoCredit() throws Exception {
        IoClass small = IoClass.create("small-" + System.nanoTime(), 100);
        IoClass large = IoClass.create("large-" + System.nanoTime(), 400);
        String order = withHeldOps(IoQueueConfig.defaults().withMaxInFlight(1).withMerge(false), (f, ops) -> {
            List<Buffer> bufs = new ArrayList<>();
            // The small class runs alone for a while: it must not leave the large one a debt to collect.
            for (int i = 0; i < 20; i++) {
                readBlock(f, i * 8192L, 4096, small, bufs);
            }
            for (int i = 0; i < 19; i++) {
                ops.completeOldest();
                settle();
            }
            // 20 small dispatched, the last in flight. Now both classes queue 60 requests.
            ops.clearCalls();
            for (int i = 0; i < 60; i++) {
                readBlock(f, i * 8192L, 4096, small, bufs);
                readBlock(f, MIB + i * 8192L, 4096, large, bufs);
            }
            StringBuilder seq = new StringBuilder();
            for (int i = 0; i < 50; i++) {
                ops.completeOldest();
                settle();
            }
            for (SyncFileOps.Call c : ops.calls()) {
                seq.append(c.position() >= MIB ? 'L' : 's');
            }
            while (ops.pending() > 0) {
                ops.completeAll();
                settle();
            }
            bufs.forEach(Buffer::release);
            return seq.toString();
        });
        assertEquals(50, order.length(), order);
        long smallCount = order.chars().filter(c -> c == 's').count();
        // 1:4 shares with equal requests: 10 of 50 dispatches are the small class's, give or take one at the edges.
        assertTrue(smallCount >= 9 && smallCount <= 11, order);
        // And from the very start: the large class did not get a long run to "catch up" for its idle time.
        assertTrue(order.substring(0, 10).contains("s"), order);
    }

    @Test
    void statsCountWhatEachClassDid() throws Exception {
        IoClass mine = IoClass.create("counted-" + System.nanoTime(), 10);
        List<Long> figures = withHeldOps(IoQueueConfig.defaults().withMaxRequestBytes(64 << 10), (f, ops) -> {
            List<Buffer> bufs = new ArrayList<>();
            readBlock(f, 0, 256 << 10, mine, bufs);
            readBlock(f, MIB, 4096, mine, bufs);
            IoScheduler.ClassStats before = classStats(mine);
            ops.completeAll();
            settle();
            IoScheduler.ClassStats after = classStats(mine);
            IoScheduler.QueueStats q = IoScheduler.current().stats().getFirst();
            bufs.forEach(Buffer::release);
            return List.of(before.dispatched(), (long) before.inFlight(), after.completedRequests(),
                    after.completedBytes(), (long) after.inFlight(), q.splits(), q.systemCalls());
        });
        assertEquals(List.of(5L, 5L, 5L, (256L << 10) + 4096, 0L, 1L, 5L), figures);
    }

    private static IoScheduler.ClassStats classStats(IoClass c) {
        for (IoScheduler.QueueStats q : IoScheduler.current().stats()) {
            for (IoScheduler.ClassStats s : q.classes()) {
                if (s.ioClass() == c) {
                    return s;
                }
            }
        }
        throw new AssertionError("no stats for " + c);
    }

    @Test
    void writesCompletedOutOfOrderLandWhereTheyWereAimed() throws Exception {
        Path scratch = dir.resolve("writes");
        java.nio.file.Files.write(scratch, new byte[0]);
        Smp smp = FileTesting.start(ReactorBackends.defaultName(), 1);
        try {
            on(smp, 0, () -> Async.run((Callable<Void>) () -> {
                SyncFileOps ops = new SyncFileOps(SyncFileOps.Mode.HELD);
                IoScheduler.current().useFileOps(ops, "held");
                DmaFile f = Async.await(Files.openDma(scratch.toString(), OpenOptions.readWrite()));
                List<Future<Integer>> writes = new ArrayList<>();
                List<Buffer> bufs = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    Buffer b = FileTesting.dmaCopy(f, pattern(100 + i, 8192));
                    bufs.add(b);
                    writes.add(f.write(i * 8192L, b));
                }
                while (ops.pending() > 0) {
                    ops.completeNewest();
                    settle();
                }
                for (Future<Integer> w : writes) {
                    assertEquals(8192, w.getNow());
                }
                bufs.forEach(Buffer::release);
                Async.await(f.close());
                return null;
            }));
            byte[] all = java.nio.file.Files.readAllBytes(scratch);
            for (int i = 0; i < 16; i++) {
                assertArrayEquals(pattern(100 + i, 8192), Arrays.copyOfRange(all, i * 8192, (i + 1) * 8192));
            }
        } finally {
            smp.stop();
        }
    }
}
