package io.percore.sys;

import java.util.BitSet;

/**
 * The kernel's list format for sets of CPUs and NUMA nodes, as in {@code /sys/devices/system/cpu/online},
 * {@code Cpus_allowed_list} and {@code --cpuset}: comma-separated numbers and inclusive ranges,
 * {@code "0-3,8,10-11"}.
 *
 * <p>Thread-safety: stateless; any thread.
 */
public final class CpuList {
    private CpuList() {}

    /** Larger than any NR_CPUS Linux builds with (8192), and it keeps a typo from allocating a huge BitSet. */
    static final int MAX_ENTRY = 1 << 16;

    /**
     * Parses a list. Surrounding white space (the trailing newline of a /sys file) is ignored; an empty
     * string is the empty set.
     *
     * @throws IllegalArgumentException when {@code text} is not a list, naming the text
     */
    public static BitSet parse(String text) {
        BitSet set = new BitSet();
        String s = text.strip();
        if (s.isEmpty()) {
            return set;
        }
        for (String part : s.split(",", -1)) {
            int dash = part.indexOf('-');
            try {
                int from = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
                int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1));
                if (from < 0 || to < from || to >= MAX_ENTRY) {
                    throw new IllegalArgumentException("bad range '" + part + "' in CPU list '" + s + "'");
                }
                set.set(from, to + 1);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad CPU list '" + s + "'", e);
            }
        }
        return set;
    }

    /** @return {@code set} in list format, ranges collapsed ({@code {0,1,2,5}} → {@code "0-2,5"}); "" when empty. */
    public static String format(BitSet set) {
        StringBuilder b = new StringBuilder();
        for (int from = set.nextSetBit(0); from >= 0; ) {
            int to = set.nextClearBit(from) - 1;
            if (!b.isEmpty()) {
                b.append(',');
            }
            b.append(from);
            if (to > from) {
                b.append('-').append(to);
            }
            from = set.nextSetBit(to + 1);
        }
        return b.toString();
    }
}
