package io.percore.file;

import static io.percore.file.FileTesting.failureOn;
import static io.percore.file.FileTesting.on;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.memory.Buffer;
import io.percore.reactor.ReactorBackends;
import io.percore.smp.Smp;
import io.percore.sys.ErrnoException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Failures say what happened, in the types Java code expects: a missing file, a file the process may not write, an
 * existing file opened exclusively, a directory, a full device (a 1 MiB tmpfs the test mounts), and misuse of a
 * read-only or closed file.
 */
class FileErrorsTest {
    private static Path dir;

    @BeforeAll
    static void makeDir() {
        dir = FileTesting.scratchDir("errors");
    }

    @AfterAll
    static void removeDir() {
        FileTesting.deleteTree(dir);
    }

    static Stream<String> engines() {
        return FileTesting.engines();
    }

    @Test
    void openingFailsWithTheMatchingFileException() throws Exception {
        Smp smp = FileTesting.start(ReactorBackends.defaultName(), 1);
        try {
            String missing = dir.resolve("no-such-file").toString();
            Throwable e = failureOn(smp, 0, () -> Files.openDma(missing, OpenOptions.readOnly()));
            NoSuchFileException nsf = assertInstanceOf(NoSuchFileException.class, e);
            assertEquals(missing, nsf.getFile());
            assertTrue(nsf.getMessage().contains("ENOENT"), nsf.getMessage());
            assertInstanceOf(ErrnoException.class, nsf.getCause());

            Path existing = dir.resolve("existing");
            java.nio.file.Files.write(existing, new byte[1]);
            assertInstanceOf(FileAlreadyExistsException.class, failureOn(smp, 0,
                    () -> Files.openDma(existing.toString(), OpenOptions.readWrite().withExclusive())));

            Throwable isDir = failureOn(smp, 0, () -> Files.openDma(dir.toString(), OpenOptions.readOnly()));
            assertInstanceOf(FileSystemException.class, isDir);
            assertTrue(isDir.getMessage().contains("is a directory"), isDir.getMessage());

            Throwable inMissingDir = failureOn(smp, 0,
                    () -> Files.openDma(dir.resolve("nodir/f").toString(), OpenOptions.readWrite().withCreate()));
            assertInstanceOf(NoSuchFileException.class, inMissingDir);
        } finally {
            smp.stop();
        }
    }

    @Test
    void aFileThatMayNotBeWrittenFailsWithAccessDenied() throws Exception {
        Path locked = dir.resolve("locked");
        java.nio.file.Files.write(locked, new byte[4096]);
        java.nio.file.Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        // Root ignores permission bits; the immutable attribute stops root too (EPERM).
        boolean root = "root".equals(System.getProperty("user.name"));
        boolean immutable = root && chattr("+i", locked);
        assumeTrue(!root || immutable, "running as root without chattr: permission bits cannot stop this process");
        Smp smp = FileTesting.start(ReactorBackends.defaultName(), 1);
        try {
            Throwable e = failureOn(smp, 0, () -> Files.openDma(locked.toString(), OpenOptions.readWrite()));
            AccessDeniedException denied = assertInstanceOf(AccessDeniedException.class, e);
            assertEquals(locked.toString(), denied.getFile());
            assertTrue(denied.getMessage().contains(root ? "EPERM" : "EACCES"), denied.getMessage());
            Throwable removal = failureOn(smp, 0, () -> Files.remove(locked.toString()));
            if (immutable) {
                assertInstanceOf(AccessDeniedException.class, removal);
            }
        } finally {
            smp.stop();
            if (immutable) {
                chattr("-i", locked);
            }
        }
    }

    private static boolean chattr(String flag, Path file) throws Exception {
        Process p = new ProcessBuilder("chattr", flag, file.toString()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    @Test
    void misuseOfAReadOnlyOrClosedFileFails() throws Exception {
        Path file = dir.resolve("ro");
        java.nio.file.Files.write(file, new byte[8192]);
        Smp smp = FileTesting.start(ReactorBackends.defaultName(), 1);
        try {
            List<Throwable> errors = on(smp, 0, () -> Async.run(() -> {
                DmaFile f = Async.await(Files.openDma(file.toString(), OpenOptions.readOnly()));
                Buffer b = f.allocateBuffer(4096);
                Throwable write = f.write(0, b).failure();
                Future<Void> closing = f.close();
                Throwable read = f.read(0, b).failure();
                Throwable size = f.size().failure();
                Async.await(closing);
                boolean sameClose = f.close() == closing;
                b.release();
                return List.of(write, read, size, new IllegalStateException("same close future: " + sameClose));
            }));
            assertTrue(errors.get(0).getMessage().contains("read-only"), errors.get(0).getMessage());
            assertTrue(errors.get(1).getMessage().contains("closed"), errors.get(1).getMessage());
            assertTrue(errors.get(2).getMessage().contains("closed"), errors.get(2).getMessage());
            assertEquals("same close future: true", errors.get(3).getMessage());
        } finally {
            smp.stop();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("engines")
    void aFullDeviceFailsWritesAndAllocationWithNoSpace(String engine) throws Exception {
        Path mount = java.nio.file.Files.createTempDirectory(Path.of("/tmp"), "percore-full-");
        boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount.toString());
        try {
            assumeTrue(mounted, "cannot mount a small tmpfs here (needs root)");
            Smp smp = FileTesting.start(engine, 1);
            try {
                String path = mount.resolve("fill").toString();
                List<Throwable> errors = on(smp, 0, () -> Async.run(() -> {
                    DmaFile f = Async.await(Files.openDma(path, OpenOptions.readWrite().withCreate()));
                    Buffer chunk = f.allocateBuffer(64 << 10);
                    chunk.segment().fill((byte) 1);
                    Throwable write = null;
                    for (long pos = 0; pos < (4L << 20) && write == null; pos += chunk.length()) {
                        try {
                            Async.await(f.write(pos, chunk));
                        } catch (RuntimeException e) {
                            write = e;
                        }
                    }
                    chunk.release();
                    Throwable allocate = null;
                    try {
                        Async.await(f.allocate(8L << 20, 4L << 20));
                    } catch (RuntimeException e) {
                        allocate = e;
                    }
                    // The stream reports it too, at the latest when it is closed.
                    DmaFile g = Async.await(Files.openDma(mount.resolve("stream").toString(),
                            OpenOptions.writeOnly().withCreate()));
                    FileOutputStream out = FileOutputStream.open(g, FileStreamOptions.defaults());
                    Throwable stream = null;
                    try {
                        for (int i = 0; i < 64; i++) {
                            Async.await(out.write(Buffer.copyOf(new byte[64 << 10])));
                        }
                        Async.await(out.close());
                    } catch (RuntimeException e) {
                        stream = e;
                        Async.await(out.close().handle((v, x) -> null));
                    }
                    Async.await(f.close());
                    return java.util.Arrays.asList(unwrap(write), unwrap(allocate), unwrap(stream));
                }));
                for (Throwable t : errors) {
                    NoSpaceException full = assertInstanceOf(NoSpaceException.class, t);
                    assertTrue(full.getMessage().contains(mount.toString()), full.getMessage());
                }
                assertTrue(errors.get(0).getMessage().contains("ENOSPC") || errors.get(0).getMessage().contains("0 of"),
                        errors.get(0).getMessage());
            } finally {
                smp.stop();
            }
        } finally {
            if (mounted) {
                run("umount", mount.toString());
            }
            java.nio.file.Files.deleteIfExists(mount);
        }
    }

    /** Async.await wraps checked failures (FileSystemException is an IOException) in CompletionException. */
    private static Throwable unwrap(Throwable t) {
        return t instanceof java.util.concurrent.CompletionException ce && ce.getCause() != null ? ce.getCause() : t;
    }

    private static boolean run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean ok = p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        if (!ok) {
            System.err.println(String.join(" ", command) + ": " + out);
        }
        return ok;
    }
}
