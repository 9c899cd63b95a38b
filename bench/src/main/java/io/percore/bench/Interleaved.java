package io.percore.bench;

/**
 * Measures several variants of one operation in alternation, so that the noise of a shared machine (other
 * builds, frequency changes, the JIT) falls on all of them alike: warm-up rounds that also size each variant's
 * iteration to a target duration, then measured rounds, each running every variant once; the result is each
 * variant's median nanoseconds per operation. Main thread only.
 */
public final class Interleaved {
    private Interleaved() {}

    /** One iteration of a variant. */
    @FunctionalInterface
    public interface Trial {
        /**
         * Runs exactly {@code ops} operations.
         *
         * @return the nanoseconds they took, measured where they ran
         */
        long run(long ops) throws Exception;
    }

    /** A named variant. */
    public record Variant(String name, Trial trial) {}

    /**
     * How long to measure.
     *
     * @param warmups     rounds run first and thrown away (they also size the iterations)
     * @param rounds      measured rounds
     * @param targetNanos the duration each iteration is sized to
     */
    public record Settings(int warmups, int rounds, long targetNanos) {
        /** @return the settings of a full run, or of a {@code --quick} one (a few hundred ms per comparison) */
        public static Settings of(boolean quick) {
            return quick ? new Settings(3, 3, 4_000_000L) : new Settings(6, 15, 20_000_000L);
        }
    }

    /**
     * Runs the comparison and prints one line per variant.
     *
     * @return each variant's median nanoseconds per operation, in the order given
     */
    public static double[] nanosPerOp(Report report, String title, Settings s, Variant... variants) throws Exception {
        int n = variants.length;
        long[] ops = new long[n];
        java.util.Arrays.fill(ops, 1_000);
        for (int w = 0; w < s.warmups(); w++) {
            for (int v = 0; v < n; v++) {
                long t = Math.max(1, variants[v].trial().run(ops[v]));
                double perOp = (double) t / ops[v];
                long want = (long) (s.targetNanos() / perOp);
                ops[v] = Math.max(16, Math.min(ops[v] * 64, want));
            }
        }
        double[][] results = new double[n][s.rounds()];
        for (int r = 0; r < s.rounds(); r++) {
            for (int v = 0; v < n; v++) {
                results[v][r] = (double) variants[v].trial().run(ops[v]) / ops[v];
            }
        }
        double[] medians = new double[n];
        for (int v = 0; v < n; v++) {
            medians[v] = Stats.median(results[v]);
            report.line("  %-44s median %9s ns/op  (min %s, max %s; %d rounds of %d ops)", title + ": " + variants[v].name(),
                    Report.format(medians[v]), Report.format(Stats.min(results[v])),
                    Report.format(Stats.max(results[v])), s.rounds(), ops[v]);
        }
        return medians;
    }
}
