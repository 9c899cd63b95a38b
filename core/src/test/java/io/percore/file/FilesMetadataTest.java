package io.percore.file;

import static io.percore.file.FileTesting.failureOn;
import static io.percore.file.FileTesting.on;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Shard;
import io.percore.reactor.ReactorBackends;
import io.percore.smp.Smp;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Directory and metadata operations from a shard, and the metadata calls of an open {@link DmaFile}: results
 * checked against the JDK's view of the same files, errors against the expected exception types, and the calls
 * shown to run off the shard thread.
 */
class FilesMetadataTest {
    private static Path dir;
    private static Smp smp;

    @BeforeAll
    static void start() {
        dir = FileTesting.scratchDir("meta");
        smp = FileTesting.start(ReactorBackends.defaultName(), 1);
    }

    @AfterAll
    static void stop() {
        smp.stop();
        FileTesting.deleteTree(dir);
    }

    private static String p(String name) {
        return dir.resolve(name).toString();
    }

    @Test
    void mkdirListStatRenameLinkRemove() throws Exception {
        on(smp, 0, () -> Files.mkdir(p("d")));
        on(smp, 0, () -> Files.mkdir(p("d/sub"), 0700));
        java.nio.file.Files.write(dir.resolve("d/file"), new byte[1234]);
        Map<String, EntryType> listed = new TreeMap<>();
        for (DirectoryEntry e : on(smp, 0, () -> Files.list(p("d")))) {
            listed.put(e.name(), e.type());
        }
        assertEquals(Map.of("file", EntryType.FILE, "sub", EntryType.DIRECTORY), listed);

        FileStat st = on(smp, 0, () -> Files.stat(p("d/file")));
        assertEquals(EntryType.FILE, st.type());
        assertEquals(1234, st.size());
        assertEquals(1, st.links());
        assertEquals(java.nio.file.Files.getLastModifiedTime(dir.resolve("d/file")).toInstant(), st.modified());
        assertEquals(0700, on(smp, 0, () -> Files.stat(p("d/sub"))).permissions());
        assertEquals(EntryType.DIRECTORY, on(smp, 0, () -> Files.stat(p("d/sub"))).type());

        on(smp, 0, () -> Files.link(p("d/file"), p("d/hard")));
        assertEquals(2, on(smp, 0, () -> Files.stat(p("d/file"))).links());
        on(smp, 0, () -> Files.rename(p("d/file"), p("d/renamed")));
        assertFalse(on(smp, 0, () -> Files.exists(p("d/file"))));
        assertTrue(on(smp, 0, () -> Files.exists(p("d/renamed"))));
        on(smp, 0, () -> Files.syncDirectory(p("d")));

        assertInstanceOf(DirectoryNotEmptyException.class, failureOn(smp, 0, () -> Files.remove(p("d"))));
        on(smp, 0, () -> Files.remove(p("d/renamed")));
        on(smp, 0, () -> Files.remove(p("d/hard")));
        on(smp, 0, () -> Files.remove(p("d/sub")));
        on(smp, 0, () -> Files.remove(p("d")));
        assertFalse(java.nio.file.Files.exists(dir.resolve("d")));

        Throwable missing = failureOn(smp, 0, () -> Files.remove(p("gone")));
        assertEquals(p("gone"), assertInstanceOf(NoSuchFileException.class, missing).getFile());
        assertInstanceOf(NoSuchFileException.class, failureOn(smp, 0, () -> Files.stat(p("gone"))));
        Throwable renameMissing = failureOn(smp, 0, () -> Files.rename(p("gone"), p("there")));
        NoSuchFileException nsf = assertInstanceOf(NoSuchFileException.class, renameMissing);
        assertEquals(p("there"), nsf.getOtherFile());
        java.nio.file.Files.write(dir.resolve("plain"), new byte[0]);
        assertInstanceOf(NotDirectoryException.class, failureOn(smp, 0, () -> Files.list(p("plain"))));
    }

    @Test
    void anOpenFilesSizeTruncateAllocateAndStat() throws Exception {
        List<Long> figures = on(smp, 0, () -> Async.run(() -> {
            DmaFile f = Async.await(Files.openDma(p("sized"), OpenOptions.readWrite().withCreate().withTruncate()));
            long empty = Async.await(f.size());
            Async.await(f.truncate(10_000));
            long truncated = Async.await(f.size());
            FileStat before = Async.await(f.stat());
            Async.await(f.allocate(0, 4L << 20));
            FileStat after = Async.await(f.stat());
            Async.await(f.flush());
            Async.await(f.close());
            return List.of(empty, truncated, before.allocatedBytes(), after.size(), after.allocatedBytes());
        }));
        assertEquals(0, figures.get(0));
        assertEquals(10_000, figures.get(1));
        assertTrue(figures.get(2) < 4L << 20, "a truncated file is sparse: " + figures.get(2));
        assertEquals(10_000, figures.get(3), "allocate keeps the size");
        assertTrue(figures.get(4) >= 4L << 20, "allocated " + figures.get(4));
        assertEquals(10_000, java.nio.file.Files.size(dir.resolve("sized")));
    }

    @Test
    void metadataCallsRunOffTheShardThread() throws Exception {
        java.nio.file.Files.write(dir.resolve("where"), new byte[1]);
        AtomicReference<String> shardThread = new AtomicReference<>();
        // The future is still pending when the call returns: the system call is on another thread.
        Boolean pendingAtFirst = on(smp, 0, () -> {
            shardThread.set(Thread.currentThread().getName());
            Future<FileStat> st = Files.stat(p("where"));
            boolean pending = !st.isDone();
            return st.map(s -> pending && Shard.current() != null);
        });
        assertTrue(pendingAtFirst, "stat completed inline on the shard, or completed off it");
        assertNotEquals(null, shardThread.get());
    }
}
