package io.percore.memory;

import static io.percore.memory.PoolTesting.KIB;
import static io.percore.memory.PoolTesting.MIB;
import static io.percore.memory.PoolTesting.address;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;
import io.percore.sys.Mmap;
import io.percore.sys.Numa;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MemoryPoolTest {
    private final List<MemoryPool> pools = new ArrayList<>();

    private MemoryPool pool(int shard, long limit) {
        MemoryPool pool = new MemoryPool(shard, limit, -1);
        pools.add(pool);
        return pool;
    }

    @AfterEach
    void closePools() {
        pools.forEach(MemoryPool::close);
        assertNull(MemoryPool.current(), "closing a pool unbinds it");
    }

    @Test
    void everySizeClassRoundTripsAndIsNaturallyAligned() {
        MemoryPool pool = pool(0, 64 * MIB);
        for (int shift = 6; shift <= 18; shift++) {
            int classSize = 1 << shift;
            for (int size : new int[] {classSize, classSize / 2 + 1}) {
                Buffer b = pool.allocate(size);
                assertEquals(size, b.length());
                assertEquals(classSize, pool.used(), "a " + size + "-byte request uses its size class");
                assertEquals(0, address(b) % classSize, "class " + classSize + " blocks are aligned to their size");
                b.put(0, (byte) 1);
                b.put(size - 1, (byte) 2);
                assertEquals(1, b.get(0));
                assertEquals(2, b.get(size - 1));
                b.release();
                assertEquals(0, pool.used());
            }
        }
        Buffer tiny = pool.allocate(1);
        assertEquals(64, pool.used(), "the smallest class is 64 bytes");
        tiny.release();
        assertEquals(27, pool.allocations());
        assertEquals(27, pool.frees());
    }

    @Test
    void aFreedSliceIsReusedForTheSameClass() {
        MemoryPool pool = pool(0, 64 * MIB);
        Buffer first = pool.allocate(100);
        long address = address(first);
        first.release();
        Buffer second = pool.allocate(128);
        assertEquals(address, address(second), "the freed 128-byte block serves the next 128-byte request");
        second.release();
    }

    @Test
    void releasingEverythingReturnsUsedToZeroAndAReplayMapsNothingNew() {
        MemoryPool pool = pool(0, 64 * MIB);
        int[] sizes = new int[3000];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = 1 + (i * 7919) % 20000; // mixed classes, 64 B .. 32 KiB
        }
        List<Buffer> live = new ArrayList<>();
        for (int size : sizes) {
            live.add(pool.allocate(size));
        }
        long peakUsed = pool.used();
        long mappedAfterFirstRound = pool.mapped();
        assertTrue(peakUsed > 0 && mappedAfterFirstRound >= peakUsed);
        live.forEach(Buffer::release);
        live.clear();
        assertEquals(0, pool.used());

        for (int size : sizes) {
            live.add(pool.allocate(size));
        }
        assertEquals(peakUsed, pool.used());
        assertTrue(pool.mapped() <= mappedAfterFirstRound,
                "freed blocks are reused: mapped " + pool.mapped() + " > " + mappedAfterFirstRound);
        live.forEach(Buffer::release);
        assertEquals(0, pool.used());
        assertEquals(2L * sizes.length, pool.allocations());
        assertEquals(pool.allocations(), pool.frees());
    }

    @Test
    void blocksFreedBySmallClassesMergeToServeLargerOnes() {
        MemoryPool pool = pool(0, 64 * MIB);
        List<Buffer> small = new ArrayList<>();
        for (int i = 0; i < 2048; i++) {
            small.add(pool.allocate(1024));
        }
        assertEquals(2 * MIB, pool.mapped(), "2 MiB of 1 KiB blocks fill exactly one chunk");
        small.forEach(Buffer::release);
        List<Buffer> large = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            large.add(pool.allocate(256 * (int) KIB));
        }
        assertEquals(2 * MIB, pool.mapped(), "the 1 KiB blocks merged back into 256 KiB ones");
        large.forEach(Buffer::release);
    }

    @Test
    void whollyFreeChunksBeyondOneSpareAreUnmapped() {
        MemoryPool pool = pool(0, 64 * MIB);
        List<Buffer> live = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            live.add(pool.allocate(256 * (int) KIB));
        }
        assertEquals(6 * MIB, pool.mapped());
        live.forEach(Buffer::release);
        // One 256 KiB block stays cached for reuse (its chunk stays), one whole chunk is kept as a spare,
        // the third chunk goes back to the kernel.
        assertEquals(4 * MIB, pool.mapped());
        assertEquals(0, pool.used());
    }

    @Test
    void allocationsUpToTheLimitSucceedAndTheNextFailsUntilSomethingIsReleased() {
        MemoryPool pool = pool(3, MIB);
        List<Buffer> live = new ArrayList<>();
        for (int i = 0; i < 1024; i++) {
            live.add(pool.allocate(1024));
        }
        assertEquals(MIB, pool.used());

        ShardMemoryExhaustedException e = assertThrows(ShardMemoryExhaustedException.class, () -> pool.allocate(1));
        assertEquals(3, e.shardId());
        assertEquals(1, e.requested());
        assertEquals(MIB, e.used());
        assertEquals(MIB, e.limit());
        String message = e.getMessage();
        assertTrue(message.contains("shard 3") && message.contains("1 bytes") && message.contains("used 1048576")
                && message.contains("limit 1048576"), message);
        assertEquals(1, pool.failures());
        assertEquals(MIB, pool.used(), "a refused allocation takes nothing");

        live.removeFirst().release();
        Buffer again = pool.allocate(1000);
        assertEquals(MIB, pool.used());
        again.release();
        live.forEach(Buffer::release);
        assertEquals(0, pool.used());
    }

    @Test
    void theRoundedSizeCountsAgainstTheLimit() {
        MemoryPool pool = pool(4, 1000);
        ShardMemoryExhaustedException e = assertThrows(ShardMemoryExhaustedException.class,
                () -> pool.allocate(600));
        assertTrue(e.getMessage().contains("600 bytes") && e.getMessage().contains("1024 after rounding"),
                e.getMessage());
        Buffer b = pool.allocate(500); // a 512-byte class fits
        assertEquals(512, pool.used());
        assertThrows(ShardMemoryExhaustedException.class, () -> pool.allocate(300),
                "512 + 300 is under the limit, but 512 + 512 is not");
        b.release();
    }

    @Test
    void aRequestLargerThanTheLimitFailsNamingItsSize() {
        MemoryPool pool = pool(5, MIB);
        ShardMemoryExhaustedException e = assertThrows(ShardMemoryExhaustedException.class,
                () -> pool.allocate(2 * (int) MIB));
        assertEquals(2 * MIB, e.requested());
        assertTrue(e.getMessage().contains("shard 5") && e.getMessage().contains("2097152 bytes"), e.getMessage());
        assertEquals(0, pool.mapped(), "nothing was mapped for the refused request");
    }

    @Test
    void largeAllocationsGetTheirOwnMappingUnmappedOnRelease() {
        MemoryPool pool = pool(0, 64 * MIB);
        long page = Mmap.pageSize();
        int size = MemoryPool.MAX_POOLED_SIZE + 1;
        long rounded = (size + page - 1) / page * page;
        Buffer big = pool.allocate(size);
        assertEquals(size, big.length());
        assertEquals(rounded, pool.used(), "large requests are counted in whole pages");
        assertEquals(rounded, pool.mapped(), "a large request maps only itself, no chunk");
        big.put(size - 1, (byte) 42);
        assertEquals(42, big.get(size - 1));

        Buffer huge = pool.allocate(4 * (int) MIB);
        assertEquals(0, address(huge) % (2 * MIB), "mappings of 2 MiB and more start on a huge-page boundary");
        assertEquals(rounded + 4 * MIB, pool.mapped());
        huge.segment().fill((byte) 9);
        huge.release();
        assertEquals(rounded, pool.mapped());
        big.release();
        assertEquals(0, pool.mapped());
        assertEquals(0, pool.used());
    }

    @Test
    void allocateAlignedHonoursTheAlignment() {
        MemoryPool pool = pool(0, 64 * MIB);
        List<Buffer> live = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            // Interleave an odd small allocation so aligned blocks do not fall on aligned offsets by luck.
            live.add(pool.allocate(1 + i));
            Buffer b512 = pool.allocateAligned(100, 512);
            Buffer b4k = pool.allocateAligned(5000, 4096);
            assertEquals(0, address(b512) % 512);
            assertEquals(0, address(b4k) % 4096);
            assertEquals(100, b512.length());
            assertEquals(5000, b4k.length());
            live.add(b512);
            live.add(b4k);
        }
        Buffer directIo = pool.allocateAligned(2 * (int) MIB + 512, 4096);
        assertEquals(0, address(directIo) % 4096);
        Buffer wideAlignment = pool.allocateAligned(100, 1 << 20);
        assertEquals(0, address(wideAlignment) % (1 << 20), "alignment beyond the size classes");
        live.add(directIo);
        live.add(wideAlignment);
        live.forEach(Buffer::release);
        assertEquals(0, pool.used());
        assertThrows(IllegalArgumentException.class, () -> pool.allocateAligned(10, 3));
        assertThrows(IllegalArgumentException.class, () -> pool.allocateAligned(10, 0));
        assertThrows(IllegalArgumentException.class, () -> pool.allocate(-1));
    }

    @Test
    void aZeroByteAllocationIsTheEmptyBufferAndCostsNothing() {
        MemoryPool pool = pool(0, MIB);
        assertSame(Buffer.empty(), pool.allocate(0));
        assertEquals(0, pool.used());
        assertEquals(0, pool.allocations());
    }

    @Test
    void closeUnmapsEverythingAndLeftoverBuffersFailInsteadOfCrashing() {
        MemoryPool pool = pool(0, 64 * MIB);
        Buffer small = pool.allocate(100);
        Buffer large = pool.allocate(MemoryPool.MAX_POOLED_SIZE * 2);
        assertTrue(pool.mapped() > 0);
        pool.close();
        assertEquals(0, pool.mapped());
        assertThrows(IllegalStateException.class, () -> small.get(0));
        assertThrows(IllegalStateException.class, () -> large.put(0, (byte) 1));
        small.release(); // harmless: the memory went with the pool
        large.release();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.allocate(10));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        pool.close();
    }

    @Test
    void bindingMakesThePoolCurrentAndBufferAllocateUsesIt() {
        MemoryPool pool = pool(2, MIB);
        assertNull(MemoryPool.current());
        pool.bindToCurrentThread();
        assertSame(pool, MemoryPool.current());
        Buffer b = Buffer.allocate(10);
        assertEquals(64, pool.used());
        b.release();
        assertEquals(0, pool.used());

        MemoryPool other = pool(4, MIB);
        IllegalStateException e = assertThrows(IllegalStateException.class, other::bindToCurrentThread);
        assertTrue(e.getMessage().contains("shard 2"), e.getMessage());
        pool.close();
        assertNull(MemoryPool.current());
    }

    @Test
    void allocatingOnAThreadThatDoesNotOwnThePoolTripsAnAssertion() throws Exception {
        PoolTesting.requireAssertions();
        MemoryPool pool = pool(6, MIB);
        Throwable thrown = PoolTesting.onOtherThread("intruder", () -> pool.allocate(10));
        assertInstanceOf(AssertionError.class, thrown);
        assertTrue(thrown.getMessage().contains("intruder") && thrown.getMessage().contains("shard 6"),
                thrown.getMessage());
        assertInstanceOf(AssertionError.class, PoolTesting.onOtherThread("intruder", pool::drainRemoteFrees));
        Buffer owned = pool.allocate(10);
        assertNull(PoolTesting.onOtherThread("intruder", () -> {
            Throwable t = PoolTesting.runCatching(pool::close);
            if (!(t instanceof AssertionError)) {
                throw new AssertionError("close on a foreign thread while the owner lives should trip: " + t);
            }
        }));
        owned.release();
        assertEquals(0, pool.used());
    }

    @Test
    void bindingOnAnotherThreadMovesOwnership() throws Exception {
        PoolTesting.requireAssertions();
        MemoryPool pool = new MemoryPool(7, MIB, -1);
        Throwable onShard = PoolTesting.onOtherThread("shard-7", () -> {
            pool.bindToCurrentThread();
            Buffer b = Buffer.allocate(100);
            b.release();
            if (pool.used() != 0 || pool.allocations() != 1) {
                throw new AssertionError("allocation on the bound thread did not use its pool: " + pool);
            }
        });
        assertNull(onShard);
        assertThrows(AssertionError.class, () -> pool.allocate(10), "the creating thread no longer owns it");
        pool.close(); // allowed: the owner has terminated
        assertEquals(0, pool.mapped());
    }

    @Test
    void memoryBoundToANumaNodeIsUsable() {
        MemoryPool pool = new MemoryPool(0, 64 * MIB, Numa.nodeOfCpu(0));
        pools.add(pool);
        Buffer small = pool.allocate(4096);
        Buffer large = pool.allocate(3 * (int) MIB);
        small.segment().fill((byte) 1);
        large.segment().fill((byte) 2);
        assertEquals(2, large.get(3 * (int) MIB - 1));
        small.release();
        large.release();
        assertEquals(0, pool.used());
    }

    @Test
    void aMappingTheKernelRefusesIsReportedAndNothingLeaks() {
        // Node 1000 does not exist, so mbind fails with EINVAL after the chunk was mapped.
        MemoryPool pool = new MemoryPool(8, 64 * MIB, 1000);
        pools.add(pool);
        ShardMemoryExhaustedException small = assertThrows(ShardMemoryExhaustedException.class,
                () -> pool.allocate(100));
        ShardMemoryExhaustedException large = assertThrows(ShardMemoryExhaustedException.class,
                () -> pool.allocate(4 * (int) MIB));
        for (ShardMemoryExhaustedException e : List.of(small, large)) {
            ErrnoException cause = assertInstanceOf(ErrnoException.class, e.getCause());
            assertEquals(Errno.EINVAL, cause.errno());
            assertTrue(e.getMessage().contains("shard 8"), e.getMessage());
        }
        assertEquals(0, pool.mapped(), "the refused mappings were unmapped");
        assertEquals(0, pool.used());
        assertEquals(2, pool.failures());
    }

    @Test
    void rejectsInvalidConfiguration() {
        assertThrows(IllegalArgumentException.class, () -> new MemoryPool(-1, MIB, -1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MemoryPool(1, 0, -1));
        assertTrue(e.getMessage().contains("shard 1"), e.getMessage());
    }
}
