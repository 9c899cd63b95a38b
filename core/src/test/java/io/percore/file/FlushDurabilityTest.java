package io.percore.file;

import static io.percore.file.FileTesting.on;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.memory.Buffer;
import io.percore.reactor.ReactorBackends;
import io.percore.smp.Smp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What {@code flush} promises: a child JVM writes, flushes (fdatasync) and, for one file, closes, then dies at once
 * (Runtime.halt: no orderly stop, no shutdown hooks); this process, a fresh one, reads both files back through
 * percore and finds every byte, with the exact length. A power cut cannot be staged in a test; fdatasync's contract
 * with the device is what covers it, and this test checks that the calls that invoke it complete before the
 * writer reports success.
 */
class FlushDurabilityTest {
    private static Path dir;

    @BeforeAll
    static void makeDir() {
        dir = FileTesting.scratchDir("durable");
    }

    @AfterAll
    static void removeDir() {
        FileTesting.deleteTree(dir);
    }

    @Test
    void dataWrittenAndFlushedIsReadByAFreshProcessAfterTheWriterDies() throws Exception {
        Path streamFile = dir.resolve("stream");
        Path dmaFile = dir.resolve("dma");
        int length = 1_000_003;
        long seed = 2024;
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--add-exports",
                "java.base/jdk.internal.vm=ALL-UNNAMED", "-cp", classPath(), DurabilityWriter.class.getName(),
                streamFile.toString(), dmaFile.toString(), Integer.toString(length), Long.toString(seed)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "writer did not end: " + out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("written"), out);

        byte[] expected = FileTesting.pattern(seed, length);
        Smp smp = FileTesting.start(ReactorBackends.defaultName(), 1);
        try {
            byte[] viaStream = on(smp, 0, () -> readAll(streamFile.toString(), length));
            assertArrayEquals(expected, viaStream);
            assertEquals(length, java.nio.file.Files.size(streamFile), "closed stream: exact length");
            byte[] viaDma = on(smp, 0, () -> readAll(dmaFile.toString(), length));
            assertArrayEquals(expected, viaDma);
            long padded = DmaAlignment.alignUp(length, 4096);
            assertTrue(java.nio.file.Files.size(dmaFile) >= length && java.nio.file.Files.size(dmaFile) <= padded);
        } finally {
            smp.stop();
        }
    }

    private static io.percore.core.Future<byte[]> readAll(String path, int length) {
        return Async.run(() -> {
            DmaFile f = Async.await(Files.openDma(path, OpenOptions.readOnly()));
            Buffer b = Async.await(f.readBulk(0, length));
            byte[] bytes = b.toArray();
            b.release();
            Async.await(f.close());
            return Arrays.copyOf(bytes, bytes.length);
        });
    }

    /** Surefire runs tests from a manifest-only jar and passes the real class path in this property. */
    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }
}
