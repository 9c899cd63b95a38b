package io.percore.file;

import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import io.percore.memory.Buffer;
import io.percore.reactor.ReactorBackends;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Helpers for the file tests: shards started on a chosen engine, cross-thread calls with loose time bounds, scratch
 * directories on the disk under {@code target/}, and reproducible data.
 *
 * <p><b>Engines.</b> Every suite runs once per reactor backend this build has ({@link ReactorBackends#AVAILABLE}:
 * with epoll, DMA files use the helper-thread fallback; io_uring and linux-aio use their own asynchronous file
 * path once they are in the build) and once on {@link #SYNC_OPS}, the test-only {@link SyncFileOps} that completes
 * requests in shuffled order, so the scheduler's alignment, splitting and completion logic is exercised apart from
 * any backend.
 */
final class FileTesting {
    private FileTesting() {}

    /** Loose bound: a hung operation fails the test instead of hanging the build. */
    static final long TIMEOUT_SECONDS = 30;
    /** The engine name of the test-only synchronous file operations. */
    static final String SYNC_OPS = "sync-ops";

    /** @return the engines every parameterised suite runs on. */
    static Stream<String> engines() {
        List<String> all = new ArrayList<>(ReactorBackends.AVAILABLE);
        all.add(SYNC_OPS);
        return all.stream();
    }

    static Smp start(String engine, int shards) {
        return start(engine, shards, 256L << 20);
    }

    /** Starts shards on {@code engine}: a backend name, or {@link #SYNC_OPS}. */
    static Smp start(String engine, int shards, long memoryPerShard) {
        ReactorConfig d = ReactorConfig.defaults();
        String backend = engine.equals(SYNC_OPS) ? ReactorBackends.defaultName() : engine;
        ReactorConfig config = new ReactorConfig(d.taskQuotaNanos(), d.idlePollNanos(), d.pollMode(),
                d.blockedNotifyNanos(), backend, memoryPerShard);
        return Smp.start(SmpConfig.of(shards, config), r -> {
            if (engine.equals(SYNC_OPS)) {
                IoScheduler.current().useFileOps(new SyncFileOps(SyncFileOps.Mode.SHUFFLED), SYNC_OPS);
            }
        });
    }

    /** Runs {@code work} on {@code shard} and waits for its value. */
    static <T> T on(Smp smp, int shard, Supplier<? extends Future<T>> work) throws Exception {
        return smp.submitExternal(shard, work).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** Runs {@code work} on {@code shard}, expects it to fail, and returns the failure. */
    static Throwable failureOn(Smp smp, int shard, Supplier<? extends Future<?>> work) throws Exception {
        try {
            @SuppressWarnings("unchecked")
            Supplier<Future<Object>> w = (Supplier<Future<Object>>) (Supplier<?>) work;
            Object v = smp.submitExternal(shard, w).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure, got " + v);
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    /** @return a new, empty directory on the disk under {@code target/file-tests}. */
    static Path scratchDir(String name) {
        Path dir = Path.of("target", "file-tests", name + "-" + System.nanoTime()).toAbsolutePath();
        try {
            java.nio.file.Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /** Deletes a directory tree, ignoring what is already gone. */
    static void deleteTree(Path dir) {
        if (dir == null || !java.nio.file.Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = java.nio.file.Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return {@code length} bytes derived from {@code seed}: the same arguments give the same bytes. */
    static byte[] pattern(long seed, int length) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** @return the byte at {@code offset} of an endless, position-dependent stream (for large files). */
    static byte streamByte(long offset) {
        long x = offset * 0x9E3779B97F4A7C15L;
        return (byte) ((x >>> 29) ^ (x >>> 47) ^ offset);
    }

    /** Copies {@code bytes} into a new DMA buffer of {@code file} (length rounded up to its write alignment). */
    static Buffer dmaCopy(DmaFile file, byte[] bytes) {
        int len = (int) DmaAlignment.alignUp(bytes.length, file.alignment().write());
        Buffer b = file.allocateBuffer(len);
        b.segment().fill((byte) 0);
        java.lang.foreign.MemorySegment.copy(bytes, 0, b.segment(), java.lang.foreign.ValueLayout.JAVA_BYTE, 0,
                bytes.length);
        return b;
    }
}
