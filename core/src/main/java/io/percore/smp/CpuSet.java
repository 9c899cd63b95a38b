package io.percore.smp;

import io.percore.sys.Affinity;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/** CPU lists as users write them ({@code --cpuset 0-3,8}) and the set this process may run on. */
public final class CpuSet {
    private CpuSet() {}

    /** @return the CPUs the calling thread may run on, ascending. */
    public static List<Integer> allowed() {
        BitSet set = Affinity.get();
        List<Integer> cpus = new ArrayList<>();
        for (int c = set.nextSetBit(0); c >= 0; c = set.nextSetBit(c + 1)) {
            cpus.add(c);
        }
        return cpus;
    }

    /**
     * Parses "0-3,8,10-11" into ascending CPU numbers.
     *
     * @throws IllegalArgumentException with the offending part for malformed input or an empty list
     */
    public static List<Integer> parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty CPU list");
        }
        BitSet set = new BitSet();
        for (String part : spec.trim().split(",")) {
            String p = part.trim();
            try {
                int dash = p.indexOf('-');
                if (dash < 0) {
                    set.set(nonNegative(Integer.parseInt(p), p));
                } else {
                    int lo = nonNegative(Integer.parseInt(p.substring(0, dash).trim()), p);
                    int hi = nonNegative(Integer.parseInt(p.substring(dash + 1).trim()), p);
                    if (hi < lo || hi - lo > 4096) {
                        throw new IllegalArgumentException("bad CPU range '" + p + "' in '" + spec + "'");
                    }
                    set.set(lo, hi + 1);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad CPU list '" + spec + "': '" + p + "' is not a CPU number or range");
            }
        }
        List<Integer> cpus = new ArrayList<>();
        for (int c = set.nextSetBit(0); c >= 0; c = set.nextSetBit(c + 1)) {
            cpus.add(c);
        }
        return cpus;
    }

    private static int nonNegative(int v, String part) {
        if (v < 0 || v > 65535) {
            throw new IllegalArgumentException("bad CPU number in '" + part + "'");
        }
        return v;
    }
}
