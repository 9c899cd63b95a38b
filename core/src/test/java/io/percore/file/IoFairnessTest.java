package io.percore.file;

import static io.percore.file.FileTesting.on;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.memory.Buffer;
import io.percore.reactor.ReactorBackends;
import io.percore.smp.Smp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The I/O scheduler's promise, measured on the machine's disk (a 256 MiB file the test writes under
 * {@code target/}, ext4 on the VM's virtio disk here; direct I/O, so the page cache plays no part): two classes
 * with shares 1:4 that both keep far more requests waiting than the device may have in flight get bandwidth
 * within ±15% of 1:4. Each class runs 16 loops of random 64 KiB reads; the device queue admits 8 at a time.
 * Bytes completed are counted over a 2-second window that starts after a warm-up, while both classes are busy.
 * Runs on every reactor backend of the build (epoll: the helper-thread engine).
 */
class IoFairnessTest {
    private static final long FILE_SIZE = 256L << 20;
    private static final int BLOCK = 64 << 10;
    private static Path dir;

    @BeforeAll
    static void makeDir() {
        dir = FileTesting.scratchDir("fair");
    }

    @AfterAll
    static void removeDir() {
        FileTesting.deleteTree(dir);
    }

    static Stream<String> backends() {
        return ReactorBackends.AVAILABLE.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void twoSaturatedClassesWithSharesOneToFourGetBandwidthOneToFour(String backend) throws Exception {
        Smp smp = FileTesting.start(backend, 1);
        try {
            String path = dir.resolve("data-" + backend).toString();
            IoClass low = IoClass.create("fair-low-" + backend, 100);
            IoClass high = IoClass.create("fair-high-" + backend, 400);
            long[] window = on(smp, 0, () -> Async.run(() -> {
                IoScheduler.current().configure(IoQueueConfig.defaults().withMaxInFlight(8));
                DmaFile f = Async.await(Files.openDma(path, OpenOptions.readWrite().withCreate().withTruncate()));
                fill(f);
                long[] done = new long[2];
                boolean[] stop = new boolean[1];
                List<Future<Void>> loops = new ArrayList<>();
                List<Buffer> buffers = new ArrayList<>();
                SplittableRandom random = new SplittableRandom(7);
                for (int c = 0; c < 2; c++) {
                    IoClass cls = c == 0 ? low : high;
                    int slot = c;
                    for (int i = 0; i < 16; i++) {
                        Buffer b = f.allocateBuffer(BLOCK);
                        buffers.add(b);
                        loops.add(Futures.repeat(() -> {
                            long pos = random.nextLong(FILE_SIZE / BLOCK) * BLOCK;
                            return f.read(pos, b, cls).map(n -> {
                                done[slot] += n;
                                return stop[0];
                            });
                        }));
                    }
                }
                Async.sleep(Duration.ofMillis(300));
                long low0 = done[0];
                long high0 = done[1];
                Async.sleep(Duration.ofSeconds(2));
                long lowBytes = done[0] - low0;
                long highBytes = done[1] - high0;
                stop[0] = true;
                Async.await(Futures.whenAll(loops));
                buffers.forEach(Buffer::release);
                Async.await(f.close());
                return new long[] {lowBytes, highBytes};
            }));
            double ratio = (double) window[1] / window[0];
            String what = String.format("low %d MiB, high %d MiB in 2 s: ratio %.2f", window[0] >> 20,
                    window[1] >> 20, ratio);
            System.out.println("I/O fairness on " + backend + ": " + what);
            assertTrue(window[0] > 0 && ratio >= 4 * 0.85 && ratio <= 4 * 1.15, what);
        } finally {
            smp.stop();
        }
    }

    /** Writes the whole file with data (reads of never-written extents would not touch the disk). */
    private static void fill(DmaFile f) {
        int chunk = 1 << 20;
        Buffer data = f.allocateBuffer(chunk);
        for (int i = 0; i < chunk; i++) {
            data.put(i, FileTesting.streamByte(i));
        }
        List<Long> positions = new ArrayList<>();
        for (long pos = 0; pos < FILE_SIZE; pos += chunk) {
            positions.add(pos);
        }
        for (int start = 0; start < positions.size(); start += 8) {
            Async.await(Futures.parallelForEach(positions.subList(start, Math.min(positions.size(), start + 8)),
                    pos -> f.write(pos, data)));
        }
        data.release();
    }
}
