package io.percore.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a comparison prints: detail lines as the measurements happen, then, at the very end, one
 * {@code figure <name> <value> <unit>} line per headline number. The figure lines are the contract with
 * {@code ./percore bench} and with the docs: names are lower-case words joined by underscores, ratios have the
 * unit {@code x} and name the peer ({@code <ours>_vs_<peer>}, greater than 1 when percore is better).
 *
 * <p>One thread at a time (the benchmark's main thread).
 */
public final class Report {
    private final PrintStream out;
    private final List<String> figures = new ArrayList<>();

    /** @param out where detail and figure lines go */
    public Report(PrintStream out) {
        this.out = out;
    }

    /** Prints one detail line now ({@link String#format} with the root locale). */
    public void line(String format, Object... args) {
        out.println(String.format(Locale.ROOT, format, args));
        out.flush();
    }

    /**
     * Records a headline figure, printed by {@link #printFigures()}.
     *
     * @param name  lower-case words joined by underscores
     * @param value a finite number
     * @param unit  {@code ns}, {@code us}, {@code Mmsg/s}, {@code x}…
     * @throws IllegalArgumentException for a malformed name or unit, or a value that is not finite
     */
    public void figure(String name, double value, String unit) {
        if (!name.matches("[a-z0-9]+(_[a-z0-9]+)*")) {
            throw new IllegalArgumentException("bad figure name: " + name);
        }
        if (!unit.matches("\\S+")) {
            throw new IllegalArgumentException("bad figure unit: '" + unit + "'");
        }
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("figure " + name + " is not finite: " + value);
        }
        figures.add("figure " + name + " " + format(value) + " " + unit);
    }

    /** @return the figure lines recorded so far, in order. */
    public List<String> figures() {
        return List.copyOf(figures);
    }

    /** Prints every recorded figure line; call last. */
    public void printFigures() {
        for (String f : figures) {
            out.println(f);
        }
        out.flush();
    }

    /** @return {@code v} with about three significant digits, never in exponent notation. */
    public static String format(double v) {
        double a = Math.abs(v);
        String pattern = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : a >= 0.01 ? "%.3f" : "%.5f";
        return String.format(Locale.ROOT, pattern, v);
    }
}
