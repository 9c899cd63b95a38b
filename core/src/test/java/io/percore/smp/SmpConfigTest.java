package io.percore.smp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.ReactorConfig;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link SmpConfig}: validation and the defaults of {@link SmpConfig#of}. */
class SmpConfigTest {
    private static final ReactorConfig R = ReactorConfig.defaults();

    @Test
    void needsAtLeastOneShard() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SmpConfig(List.of(), true, R, 256));
        assertTrue(e.getMessage().contains("at least one shard"), e.getMessage());
        for (int n : new int[] {0, -1}) {
            IllegalArgumentException of = assertThrows(IllegalArgumentException.class, () -> SmpConfig.of(n, R));
            assertTrue(of.getMessage().contains("at least 1"), of.getMessage());
            assertTrue(of.getMessage().contains(String.valueOf(n)), of.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, 100, -256})
    void ringSizeMustBeAPowerOfTwoAtLeastTwo(int size) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SmpConfig(List.of(0), false, R, size));
        assertTrue(e.getMessage().contains("ring size") && e.getMessage().contains(String.valueOf(size)), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SmpConfig.of(1, R).withRingSize(size));
    }

    @Test
    void ofPinsShardsToTheFirstAllowedCpus() {
        List<Integer> allowed = CpuSet.allowed();
        SmpConfig c = SmpConfig.of(allowed.size(), R);
        assertTrue(c.pin());
        assertEquals(allowed, c.cpus());
        assertEquals(allowed.size(), c.shards());
        assertEquals(SmpConfig.DEFAULT_RING_SIZE, c.ringSize());
        assertEquals(R, c.reactor());

        SmpConfig one = SmpConfig.of(1, R);
        assertTrue(one.pin());
        assertEquals(List.of(allowed.get(0)), one.cpus());
    }

    @Test
    void moreShardsThanCpusShareThemUnpinned() {
        List<Integer> allowed = CpuSet.allowed();
        int n = allowed.size() + 2;
        SmpConfig c = SmpConfig.of(n, R);
        assertFalse(c.pin());
        assertEquals(n, c.shards());
        for (int i = 0; i < n; i++) {
            assertEquals(allowed.get(i % allowed.size()), c.cpus().get(i), "shard " + i + " round-robin");
        }
    }

    @Test
    void withRingSizeChangesOnlyTheRingSize() {
        SmpConfig c = SmpConfig.of(1, R);
        SmpConfig small = c.withRingSize(8);
        assertEquals(8, small.ringSize());
        assertEquals(c.cpus(), small.cpus());
        assertEquals(c.pin(), small.pin());
        assertEquals(c.reactor(), small.reactor());
        assertEquals(SmpConfig.DEFAULT_RING_SIZE, c.ringSize(), "the original is unchanged");
    }

    @Test
    void cpuListIsCopiedAndImmutable() {
        List<Integer> cpus = new ArrayList<>(List.of(0, 1));
        SmpConfig c = new SmpConfig(cpus, false, R, 4);
        cpus.add(2);
        assertEquals(List.of(0, 1), c.cpus());
        assertThrows(UnsupportedOperationException.class, () -> c.cpus().add(3));
    }
}
