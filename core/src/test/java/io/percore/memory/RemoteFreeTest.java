package io.percore.memory;

import static io.percore.memory.PoolTesting.MIB;
import static io.percore.memory.PoolTesting.address;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Buffers released on threads other than their pool's owner go home through the remote-free stack. */
class RemoteFreeTest {
    private MemoryPool pool;

    @BeforeEach
    void createPool() {
        pool = new MemoryPool(1, 256 * MIB, -1);
    }

    @AfterEach
    void closePool() {
        pool.close();
    }

    @Test
    void aBufferReleasedElsewhereReturnsOnlyWhenTheOwnerDrains() throws Exception {
        List<Buffer> buffers = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            buffers.add(pool.allocate(1024));
        }
        assertNull(PoolTesting.onOtherThread("shard-2", () -> buffers.forEach(Buffer::release)));
        assertEquals(10 * 1024, pool.used(), "nothing returns before the owner drains");
        assertEquals(0, pool.frees());
        assertEquals(0, pool.remoteFrees());

        assertEquals(10, pool.drainRemoteFrees());
        assertEquals(0, pool.used());
        assertEquals(10, pool.frees());
        assertEquals(10, pool.remoteFrees());
        assertEquals(0, pool.drainRemoteFrees(), "a drained stack is empty");
    }

    @Test
    void theLastViewDecidesWhereTheStorageGoes() throws Exception {
        Buffer original = pool.allocate(4096);
        Buffer view = original.share(100, 200);
        original.release(); // on the owner, but not the last view
        assertEquals(4096, pool.used());
        assertNull(PoolTesting.onOtherThread("shard-2", view::release));
        assertEquals(4096, pool.used());
        assertEquals(1, pool.drainRemoteFrees());
        assertEquals(0, pool.used());
    }

    @Test
    void largeAllocationsAreUnmappedWhenDrained() throws Exception {
        Buffer big = pool.allocate(3 * (int) MIB);
        long mapped = pool.mapped();
        assertNull(PoolTesting.onOtherThread("shard-2", big::release));
        assertEquals(mapped, pool.mapped());
        pool.drainRemoteFrees();
        assertEquals(mapped - 3 * MIB, pool.mapped());
    }

    @Test
    void anAllocationAtTheLimitTakesBackRemoteFreesBeforeFailing() throws Exception {
        MemoryPool small = new MemoryPool(9, MIB, -1);
        try {
            List<Buffer> live = new ArrayList<>();
            for (int i = 0; i < 1024; i++) {
                live.add(small.allocate(1024));
            }
            Buffer travelled = live.removeLast();
            assertNull(PoolTesting.onOtherThread("shard-2", travelled::release));
            assertEquals(MIB, small.used());
            Buffer b = small.allocate(1024); // would fail without the drain inside allocate
            assertEquals(1, small.remoteFrees());
            assertEquals(0, small.failures());
            b.release();
            live.forEach(Buffer::release);
            assertEquals(0, small.used());
        } finally {
            small.close();
        }
    }

    /**
     * Several threads release many buffers (small and large) while the owner keeps draining: every
     * buffer comes back exactly once. A lost node leaves used() above zero; a double free either trips the
     * heap's state check or puts one block on the free lists twice, which the final re-allocation round
     * detects as two buffers at the same address.
     */
    @Test
    void concurrentRemoteReleasesAreAllAccountedOnce() throws Exception {
        int threads = 4;
        int perThread = 5000;
        List<List<Buffer>> batches = new ArrayList<>();
        int[] sizes = new int[threads * perThread];
        for (int t = 0; t < threads; t++) {
            List<Buffer> batch = new ArrayList<>(perThread);
            for (int i = 0; i < perThread; i++) {
                int n = t * perThread + i;
                int size = n % 997 == 0 ? MemoryPool.MAX_POOLED_SIZE + 4096 : 16 + (n * 31) % 8000;
                sizes[n] = size;
                Buffer b = pool.allocate(size);
                b.segment().fill((byte) n);
                batch.add(b);
            }
            batches.add(batch);
        }
        long expectedUsed = pool.used();
        assertTrue(expectedUsed > 0);

        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(threads);
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        for (int t = 0; t < threads; t++) {
            List<Buffer> batch = batches.get(t);
            int first = t * perThread;
            Thread releaser = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < batch.size(); i++) {
                        Buffer b = batch.get(i);
                        byte expected = (byte) (first + i);
                        if (b.get(0) != expected || b.get(b.length() - 1) != expected) {
                            problems.add("buffer " + (first + i) + " was overwritten before release");
                        }
                        b.release();
                    }
                } catch (Throwable e) {
                    problems.add(e.toString());
                } finally {
                    done.countDown();
                }
            }, "releaser-" + t);
            releaser.start();
        }

        start.countDown();
        int drained = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (done.getCount() > 0 || drained < sizes.length) {
            int n = pool.drainRemoteFrees();
            drained += n;
            if (n == 0) {
                if (done.getCount() == 0 && drained < sizes.length) {
                    fail("releasers finished but only " + drained + " of " + sizes.length + " came back");
                }
                Thread.onSpinWait();
                Thread.yield(); // two cores, five busy threads: let the releasers run
            }
            if (System.nanoTime() > deadline) {
                fail("timed out: " + drained + " of " + sizes.length + " drained; " + problems);
            }
        }
        assertTrue(problems.isEmpty(), problems.toString());
        assertEquals(sizes.length, drained);
        assertEquals(sizes.length, pool.remoteFrees());
        assertEquals(sizes.length, pool.frees());
        assertEquals(0, pool.used());

        Set<Long> addresses = new HashSet<>();
        List<Buffer> again = new ArrayList<>();
        for (int size : sizes) {
            Buffer b = pool.allocate(size);
            assertTrue(addresses.add(address(b)), "block at " + address(b) + " handed out twice");
            again.add(b);
        }
        assertEquals(expectedUsed, pool.used());
        again.forEach(Buffer::release);
        assertEquals(0, pool.used());
    }
}
