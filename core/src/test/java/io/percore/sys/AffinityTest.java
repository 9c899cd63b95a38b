package io.percore.sys;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Every test that changes affinity does it on a fresh thread, so the test JVM's threads keep their masks. */
class AffinityTest {
    /** The calling thread's mask as the kernel reports it in /proc, independent of our binding. */
    private static BitSet procMask() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/status"))) {
            if (line.startsWith("Cpus_allowed_list:")) {
                return CpuList.parse(line.substring(line.indexOf(':') + 1));
            }
        }
        throw new AssertionError("no Cpus_allowed_list in /proc/thread-self/status");
    }

    @Test
    void getMatchesProcStatus() throws Exception {
        BitSet mask = Affinity.get();
        assertFalse(mask.isEmpty());
        assertEquals(procMask(), mask);
    }

    @Test
    void pinToEachAllowedCpuMovesTheThreadThereAndSetRestores() throws Exception {
        OnThread.run(() -> {
            BitSet original = Affinity.get();
            try {
                for (int cpu = original.nextSetBit(0); cpu >= 0; cpu = original.nextSetBit(cpu + 1)) {
                    Affinity.pinTo(cpu);
                    BitSet expected = new BitSet();
                    expected.set(cpu);
                    assertEquals(expected, Affinity.get());
                    assertEquals(expected, procMask());
                    // sched_setaffinity migrates the caller before returning, so the pin holds at once.
                    assertEquals(cpu, Affinity.currentCpu());
                }
            } finally {
                Affinity.set(original);
            }
            assertEquals(original, Affinity.get());
        });
    }

    @Test
    void impossibleMasksFailWithEinvalAndLeaveTheMaskAlone() throws Exception {
        OnThread.run(() -> {
            BitSet before = Affinity.get();
            int missing = Math.max(Affinity.onlineCpus(), before.length()) + 500; // inside the mask's 1024 bits
            ErrnoException e = assertThrows(ErrnoException.class, () -> Affinity.pinTo(missing));
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals("sched_setaffinity", e.call());
            assertTrue(e.getMessage().contains("sched_setaffinity"), e.getMessage());
            assertTrue(e.getMessage().contains("{" + missing + "}"), e.getMessage());
            assertTrue(e.getMessage().contains("{" + CpuList.format(before) + "}"), e.getMessage());

            ErrnoException empty = assertThrows(ErrnoException.class, () -> Affinity.set(new BitSet()));
            assertEquals(Errno.EINVAL, empty.errno());
            assertEquals(before, Affinity.get());
        });
    }

    @Test
    void masksBeyondCpuSetSizeAreSizedToFit() throws Exception {
        OnThread.run(() -> {
            BitSet before = Affinity.get();
            BitSet wide = (BitSet) before.clone();
            wide.set(4000); // bit beyond glibc's 1024-CPU cpu_set_t: the mask must grow, not overflow
            Affinity.set(wide);
            assertEquals(before, Affinity.get()); // the kernel keeps only CPUs that exist
        });
    }

    @Test
    void negativeCpuIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Affinity.pinTo(-1));
    }

    @Test
    void currentCpuIsInTheMask() {
        assertTrue(Affinity.get().get(Affinity.currentCpu()));
    }

    @Test
    void gettidIsTheKernelThreadIdAndDiffersPerThread() throws Exception {
        // /proc/thread-self links to "<pid>/task/<tid>" of the reading thread.
        String link = Files.readSymbolicLink(Path.of("/proc/thread-self")).toString();
        int tid = Integer.parseInt(link.substring(link.lastIndexOf('/') + 1));
        assertEquals(tid, Affinity.gettid());
        AtomicInteger other = new AtomicInteger();
        OnThread.run(() -> other.set(Affinity.gettid()));
        assertNotEquals(tid, other.get());
        assertTrue(other.get() > 0);
    }

    @Test
    void onlineCpusMatchesSysfs() throws Exception {
        BitSet online = CpuList.parse(Files.readString(Path.of("/sys/devices/system/cpu/online")));
        assertEquals(online.cardinality(), Affinity.onlineCpus());
        assertTrue(Affinity.get().cardinality() <= Affinity.onlineCpus());
    }
}
