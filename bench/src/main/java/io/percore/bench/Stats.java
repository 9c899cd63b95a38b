package io.percore.bench;

import java.util.Arrays;

/** Small statistics over per-iteration results. Pure functions; any thread. */
public final class Stats {
    private Stats() {}

    /** @return the median of {@code values} (mean of the middle two for an even count); NaN when empty. */
    public static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] s = values.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    /** @return the smallest value; NaN when empty. */
    public static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    /** @return the largest value; NaN when empty. */
    public static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }
}
