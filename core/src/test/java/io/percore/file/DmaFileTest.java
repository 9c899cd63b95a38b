package io.percore.file;

import static io.percore.file.FileTesting.dmaCopy;
import static io.percore.file.FileTesting.failureOn;
import static io.percore.file.FileTesting.on;
import static io.percore.file.FileTesting.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.memory.Buffer;
import io.percore.smp.Smp;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reads and writes of {@link DmaFile} on a file on the disk, once per engine ({@link FileTesting#engines()}):
 * data written comes back byte-exact across sizes (one alignment unit up to several split requests) and positions,
 * unaligned byte ranges read through {@link DmaFile#readBulk}, reads past the end, and many readers and writers on
 * one file from two shards at once.
 */
class DmaFileTest {
    private static Path dir;

    @BeforeAll
    static void makeDir() {
        dir = FileTesting.scratchDir("dma");
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
    void dataComesBackByteExactAcrossSizesAndPositions(String engine) throws Exception {
        Smp smp = FileTesting.start(engine, 1);
        try {
            String path = dir.resolve("round-trip-" + engine).toString();
            List<String> mismatches = on(smp, 0, () -> Async.run(() -> {
                DmaFile f = Async.await(Files.openDma(path, OpenOptions.readWrite().withCreate().withTruncate()));
                int w = f.alignment().write();
                int[] sizes = {w, 4096, 3 * 4096 + w, 64 << 10, 128 << 10, (128 << 10) + 4096, (1 << 20) + w, 3 << 20};
                long[] positions = {0, w, 5 * 4096, (1 << 20) + w, 7L << 20};
                List<String> bad = new ArrayList<>();
                long seed = 1;
                for (int size : sizes) {
                    for (long pos : positions) {
                        byte[] data = pattern(seed++, size);
                        Buffer out = dmaCopy(f, data);
                        int written = Async.await(f.write(pos, out));
                        out.release();
                        Buffer in = f.allocateBuffer(size);
                        int read = Async.await(f.read(pos, in));
                        byte[] back = in.toArray();
                        in.release();
                        if (written != size || read != size || !Arrays.equals(data, back)) {
                            bad.add("size " + size + " at " + pos + ": wrote " + written + ", read " + read);
                        }
                    }
                }
                Async.await(f.close());
                return bad;
            }));
            assertEquals(List.of(), mismatches);
        } finally {
            smp.stop();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void bulkReadsReturnAnyByteRangeAndStopAtTheEnd(String engine) throws Exception {
        Smp smp = FileTesting.start(engine, 1);
        try {
            String path = dir.resolve("bulk-" + engine).toString();
            byte[] content = pattern(77, 300_000);
            java.nio.file.Files.write(Path.of(path), content);
            List<String> bad = on(smp, 0, () -> Async.run(() -> {
                DmaFile f = Async.await(Files.openDma(path, OpenOptions.readOnly()));
                List<String> out = new ArrayList<>();
                long[][] ranges = {{0, 1}, {1, 1}, {511, 2}, {4095, 4097}, {1000, 200_000}, {299_990, 10},
                        {299_990, 100}, {300_000, 5}, {400_000, 5}, {12_345, 0}};
                for (long[] r : ranges) {
                    Buffer b = Async.await(f.readBulk(r[0], (int) r[1]));
                    int from = (int) Math.min(r[0], content.length);
                    int to = (int) Math.min(r[0] + r[1], content.length);
                    byte[] expected = Arrays.copyOfRange(content, from, to);
                    if (!Arrays.equals(expected, b.toArray())) {
                        out.add("range " + r[0] + "+" + r[1] + ": got " + b.length() + " bytes");
                    }
                    b.release();
                }
                // A plain read past the end returns what is there, then nothing.
                int w = f.alignment().read();
                long lastBlock = DmaAlignment.alignDown(content.length, w);
                Buffer tail = f.allocateBuffer(2 * w);
                int n = Async.await(f.read(lastBlock, tail));
                if (n != content.length - lastBlock) {
                    out.add("read at the last block returned " + n);
                }
                int past = Async.await(f.read(lastBlock + 2L * w, tail));
                if (past != 0) {
                    out.add("read past the end returned " + past);
                }
                tail.release();
                Async.await(f.close());
                return out;
            }));
            assertEquals(List.of(), bad);
        } finally {
            smp.stop();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void concurrentReadersAndWritersOnOneFileFromTwoShards(String engine) throws Exception {
        Smp smp = FileTesting.start(engine, 2);
        try {
            String path = dir.resolve("concurrent-" + engine).toString();
            int blocks = 256;
            int block = 16 << 10;
            // Shard 0 creates the file; then both shards write their half of the blocks (even and odd) with 32
            // writes in flight, and read each block back as soon as its own write completes, while the other
            // shard writes its blocks next to it.
            on(smp, 0, () -> Files.openDma(path, OpenOptions.readWrite().withCreate().withTruncate())
                    .flatMap(DmaFile::close));
            List<java.util.concurrent.CompletableFuture<List<String>>> results = new ArrayList<>();
            for (int s = 0; s < 2; s++) {
                int me = s;
                results.add(smp.submitExternal(me, () -> Async.run(() -> {
                    DmaFile f = Async.await(Files.openDma(path, OpenOptions.readWrite()));
                    List<Integer> mine = new ArrayList<>();
                    for (int i = me; i < blocks; i += 2) {
                        mine.add(i);
                    }
                    List<String> bad = new ArrayList<>();
                    for (int start = 0; start < mine.size(); start += 32) {
                        List<Integer> batch = mine.subList(start, Math.min(mine.size(), start + 32));
                        Async.await(Futures.parallelForEach(batch, i -> {
                            byte[] data = pattern(1000 + i, block);
                            Buffer out = dmaCopy(f, data);
                            return f.write((long) i * block, out).finallyDo(out::release).flatMap(n -> {
                                Buffer in = f.allocateBuffer(block);
                                return f.read((long) i * block, in).map(r -> {
                                    if (r != block || !Arrays.equals(data, in.toArray())) {
                                        bad.add("block " + i + " read back wrong right after its write");
                                    }
                                    in.release();
                                    return r;
                                });
                            });
                        }));
                    }
                    Async.await(f.close());
                    return bad;
                })));
            }
            for (var r : results) {
                assertEquals(List.of(), r.get(FileTesting.TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS));
            }
            byte[] all = java.nio.file.Files.readAllBytes(Path.of(path));
            assertEquals((long) blocks * block, all.length);
            for (int i = 0; i < blocks; i++) {
                assertArrayEquals(pattern(1000 + i, block), Arrays.copyOfRange(all, i * block, (i + 1) * block),
                        "block " + i);
            }
        } finally {
            smp.stop();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void misalignedRequestsFailWithTheRequiredAlignmentNotEinval(String engine) throws Exception {
        Smp smp = FileTesting.start(engine, 1);
        try {
            String path = dir.resolve("misaligned-" + engine).toString();
            Throwable position = failureOn(smp, 0, () -> Files.openDma(path,
                    OpenOptions.readWrite().withCreate()).flatMap(f -> {
                        Buffer b = f.allocateBuffer(4096);
                        return f.write(100, b).finallyDo(() -> {
                            b.release();
                            f.close();
                        });
                    }));
            MisalignedIoException e = assertInstanceOf(MisalignedIoException.class, position);
            assertTrue(e.getMessage().contains("position 100 is not a multiple of " + e.requiredAlignment()),
                    e.getMessage());
            assertTrue(e.getMessage().contains(path), e.getMessage());

            Throwable length = failureOn(smp, 0, () -> Files.openDma(path, OpenOptions.readWrite()).flatMap(f -> {
                Buffer b = f.allocateBuffer(4096);
                b.trim(1000);
                return f.read(0, b).finallyDo(() -> {
                    b.release();
                    f.close();
                });
            }));
            assertTrue(length.getMessage().contains("length 1000 is not a multiple of"), length.getMessage());

            Throwable address = failureOn(smp, 0, () -> Files.openDma(path, OpenOptions.readWrite()).flatMap(f -> {
                Buffer big = f.allocateBuffer(8192);
                Buffer b = big.share(1, 4096);
                big.release();
                return f.write(0, b).finallyDo(() -> {
                    b.release();
                    f.close();
                });
            }));
            assertTrue(address.getMessage().contains("buffer address"), address.getMessage());
        } finally {
            smp.stop();
        }
    }
}
