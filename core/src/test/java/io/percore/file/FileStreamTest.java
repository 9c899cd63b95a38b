package io.percore.file;

import static io.percore.file.FileTesting.on;
import static io.percore.file.FileTesting.pattern;
import static io.percore.file.FileTesting.streamByte;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Reactor;
import io.percore.memory.Buffer;
import io.percore.memory.MemoryPool;
import io.percore.reactor.ReactorBackends;
import io.percore.smp.Smp;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * File streams: byte-exact round trips of odd-sized writes through write-behind and back through read-ahead, byte
 * ranges at any alignment, a file several times larger than the shard's memory streamed through bounded buffers,
 * and the back-pressure itself, observed with held operations.
 */
class FileStreamTest {
    private static Path dir;

    @BeforeAll
    static void makeDir() {
        dir = FileTesting.scratchDir("streams");
    }

    @AfterAll
    static void removeDir() {
        FileTesting.deleteTree(dir);
    }

    static Stream<String> engines() {
        return FileTesting.engines();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void oddSizedWritesComeBackByteExactWholeAndInRanges(String engine) throws Exception {
        Smp smp = FileTesting.start(engine, 1);
        try {
            String path = dir.resolve("odd-" + engine).toString();
            int[] sizes = {1, 7, 4095, 4096, 100_000, 300_000, 513, 65_536};
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            long seed = 9;
            for (int round = 0; round < 5; round++) {
                for (int s : sizes) {
                    expected.write(pattern(seed++, s));
                }
            }
            byte[] all = expected.toByteArray();
            long size = on(smp, 0, () -> Async.run(() -> {
                DmaFile f = Async.await(Files.openDma(path, OpenOptions.readWrite().withCreate().withTruncate()));
                FileOutputStream out = FileOutputStream.open(f,
                        FileStreamOptions.defaults().withBufferSize(64 << 10).withDepth(3).withCloseFile(false));
                int off = 0;
                long chunkSeed = 9;
                for (int round = 0; round < 5; round++) {
                    for (int s : sizes) {
                        Async.await(out.write(Buffer.copyOf(pattern(chunkSeed++, s))));
                        off += s;
                    }
                    if (round == 2) {
                        Async.await(out.flush()); // mid-way: the padded tail is overwritten by what follows
                    }
                }
                assertEquals(off, out.position());
                Async.await(out.close());
                long n = Async.await(f.size());
                Async.await(f.close());
                return n;
            }));
            assertEquals(all.length, size, "close cuts the padding off");
            assertArrayEquals(all, java.nio.file.Files.readAllBytes(Path.of(path)));

            long[][] ranges = {{0, Long.MAX_VALUE}, {12_345, 777_777}, {4096, 4096}, {all.length - 10, 100},
                    {all.length, 10}, {1, 1}};
            for (long[] r : ranges) {
                byte[] got = on(smp, 0, () -> Async.run(() -> {
                    DmaFile f = Async.await(Files.openDma(path, OpenOptions.readOnly()));
                    FileInputStream in = FileInputStream.open(f, r[0], r[1],
                            FileStreamOptions.defaults().withBufferSize(48 << 10).withDepth(2));
                    ByteArrayOutputStream sink = new ByteArrayOutputStream();
                    for (;;) {
                        Buffer b = Async.await(in.read());
                        if (b.isEmpty()) {
                            break;
                        }
                        sink.write(b.toArray());
                        b.release();
                    }
                    assertTrue(Async.await(in.read()).isEmpty(), "end stays the end");
                    Async.await(in.close());
                    assertTrue(f.isClosed(), "the stream owns the file by default");
                    return sink.toByteArray();
                }));
                int from = (int) Math.min(r[0], all.length);
                int to = (int) Math.min(all.length, r[1] == Long.MAX_VALUE ? all.length : r[0] + r[1]);
                assertArrayEquals(Arrays.copyOfRange(all, from, to), got, "range " + r[0] + "+" + r[1]);
            }
        } finally {
            smp.stop();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aFileLargerThanTheShardsMemoryStreamsThroughBoundedBuffers(String engine) throws Exception {
        long shardMemory = 4L << 20;
        long fileSize = 48L << 20;
        Smp smp = FileTesting.start(engine, 1, shardMemory);
        try {
            String path = dir.resolve("large-" + engine).toString();
            long[] result = on(smp, 0, () -> Async.run(() -> {
                MemoryPool pool = MemoryPool.current();
                long peak = 0;
                DmaFile f = Async.await(Files.openDma(path, OpenOptions.writeOnly().withCreate().withTruncate()));
                FileOutputStream out = FileOutputStream.open(f, FileStreamOptions.defaults());
                int chunk = 60_000; // not a multiple of anything: the stream re-blocks it
                for (long pos = 0; pos < fileSize; pos += chunk) {
                    int n = (int) Math.min(chunk, fileSize - pos);
                    Buffer b = Buffer.allocate(n);
                    for (int i = 0; i < n; i++) {
                        b.put(i, streamByte(pos + i));
                    }
                    Async.await(out.write(b));
                    peak = Math.max(peak, pool.used());
                }
                Async.await(out.close());
                DmaFile r = Async.await(Files.openDma(path, OpenOptions.readOnly()));
                long size = Async.await(r.size());
                FileInputStream in = FileInputStream.open(r, FileStreamOptions.defaults().withDepth(6));
                long pos = 0;
                long wrong = 0;
                for (;;) {
                    Buffer b = Async.await(in.read());
                    peak = Math.max(peak, pool.used());
                    if (b.isEmpty()) {
                        break;
                    }
                    for (int i = 0; i < b.length(); i++) {
                        if (b.get(i) != streamByte(pos + i)) {
                            wrong++;
                        }
                    }
                    pos += b.length();
                    b.release();
                }
                Async.await(in.close());
                return new long[] {size, pos, wrong, peak};
            }));
            assertEquals(fileSize, result[0]);
            assertEquals(fileSize, result[1]);
            assertEquals(0, result[2], "bytes that came back different");
            // Bounded by the streams' depth, not by the file: 12 times less than the file, within the shard's limit.
            assertTrue(result[3] <= 2L << 20, "peak pool use " + result[3]);
        } finally {
            smp.stop();
        }
    }

    /** Runs {@code body} on a fresh shard whose scheduler uses held operations, with a 2 MiB file open. */
    private static <T> T withHeldOps(Path file, HeldBody<T> body) throws Exception {
        Smp smp = FileTesting.start(ReactorBackends.defaultName(), 1);
        try {
            return on(smp, 0, () -> Async.run(() -> {
                SyncFileOps ops = new SyncFileOps(SyncFileOps.Mode.HELD);
                IoScheduler.current().useFileOps(ops, "held");
                DmaFile f = Async.await(Files.openDma(file.toString(), OpenOptions.readWrite()));
                try {
                    return body.call(f, ops);
                } finally {
                    while (ops.pending() > 0) {
                        ops.completeAll();
                        settle();
                    }
                    if (!f.isClosed()) {
                        Async.await(f.close());
                    }
                }
            }));
        } finally {
            smp.stop();
        }
    }

    private interface HeldBody<T> {
        T call(DmaFile f, SyncFileOps ops) throws Exception;
    }

    private static void settle() {
        for (int i = 0; i < 4; i++) {
            Async.await(Reactor.yieldNow());
        }
    }

    @Test
    void readAheadStopsAtItsDepthUntilTheConsumerTakesABuffer() throws Exception {
        Path file = dir.resolve("ahead");
        java.nio.file.Files.write(file, pattern(3, 1 << 20));
        List<Integer> issued = withHeldOps(file, (f, ops) -> {
            FileInputStream in = FileInputStream.open(f,
                    FileStreamOptions.defaults().withBufferSize(4096).withDepth(3).withCloseFile(false));
            int atOpen = ops.calls().size();
            ops.completeAll();
            settle();
            int afterCompletions = ops.calls().size(); // nobody consumed: nothing more is read
            Buffer first = Async.await(in.read());
            int afterOneRead = ops.calls().size();
            first.release();
            Future<Void> closed = in.close(); // waits for the read issued ahead, which is held
            while (!closed.isDone()) {
                ops.completeAll();
                settle();
            }
            return List.of(atOpen, afterCompletions, afterOneRead);
        });
        assertEquals(List.of(3, 3, 4), issued);
    }

    @Test
    void writeBehindMakesTheProducerWaitWhenDepthWritesAreInFlight() throws Exception {
        Path file = dir.resolve("behind");
        java.nio.file.Files.write(file, new byte[0]);
        List<Boolean> states = withHeldOps(file, (f, ops) -> {
            FileOutputStream out = FileOutputStream.open(f,
                    FileStreamOptions.defaults().withBufferSize(4096).withDepth(2).withCloseFile(false));
            boolean first = out.write(Buffer.copyOf(new byte[4096])).isDone(); // one in flight
            Future<Void> second = out.write(Buffer.copyOf(new byte[4096]));  // two in flight: must wait
            boolean secondAtOnce = second.isDone();
            boolean busyRefused = out.write(Buffer.copyOf(new byte[1])).isFailed();
            ops.completeOldest();
            settle();
            boolean secondAfter = second.isDone();
            while (ops.pending() > 0) {
                ops.completeAll();
                settle();
            }
            Future<Void> closed = out.close();
            while (!closed.isDone()) {
                ops.completeAll();
                settle();
            }
            return List.of(first, secondAtOnce, busyRefused, secondAfter, closed.isFailed());
        });
        assertEquals(List.of(true, false, true, true, false), states);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void misuseFailsClearly(String engine) throws Exception {
        Smp smp = FileTesting.start(engine, 1);
        try {
            Path file = dir.resolve("misuse-" + engine);
            java.nio.file.Files.write(file, pattern(4, 100_000));
            List<Throwable> errors = on(smp, 0, () -> Async.run((Callable<List<Throwable>>) () -> {
                DmaFile f = Async.await(Files.openDma(file.toString(), OpenOptions.readWrite()));
                FileInputStream in = FileInputStream.open(f, FileStreamOptions.defaults().withCloseFile(false));
                Future<Buffer> pending = in.read();
                Throwable twoReads = pending.isDone() ? null : in.read().failure();
                Async.await(pending).release();
                Async.await(in.close());
                Throwable afterClose = in.read().failure();
                Throwable unalignedStart = null;
                try {
                    FileOutputStream.open(f, 100, FileStreamOptions.defaults());
                } catch (MisalignedIoException e) {
                    unalignedStart = e;
                }
                FileOutputStream out = FileOutputStream.open(f, FileStreamOptions.defaults());
                Async.await(out.close());
                Throwable writeAfterClose = out.write(Buffer.copyOf(new byte[1])).failure();
                return Arrays.asList(twoReads, afterClose, unalignedStart, writeAfterClose);
            }));
            if (errors.get(0) != null) {
                assertTrue(errors.get(0).getMessage().contains("one read at a time"), errors.get(0).getMessage());
            }
            assertInstanceOf(IllegalStateException.class, errors.get(1));
            assertTrue(errors.get(2).getMessage().contains("must start at a multiple of"), errors.get(2).getMessage());
            assertInstanceOf(IllegalStateException.class, errors.get(3));
            assertFalse(errors.get(3).getMessage().isEmpty());
        } finally {
            smp.stop();
        }
    }
}
