package io.percore.app;

import java.math.BigDecimal;
import java.util.Locale;

/**
 * Byte sizes as users write them on the command line ({@code 512M}, {@code 4G}, {@code 1.5g}, {@code 65536}) and
 * back. Suffixes are binary, as Seastar's {@code --memory} reads them: K = 2^10, M = 2^20, G = 2^30, T = 2^40; an
 * optional trailing {@code B} or {@code iB} is accepted ({@code 512MiB}). Kept private to the start-up package so
 * option parsing does not depend on the memory layer.
 */
final class Sizes {
    private Sizes() {}

    /**
     * @return the size in bytes
     * @throws IllegalArgumentException saying what is wrong with {@code text} (empty, no number, unknown unit,
     *                                  not positive, more than 2^63-1 bytes)
     */
    static long parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty size; write e.g. 512M or 4G");
        }
        String s = text.trim();
        int end = 0;
        while (end < s.length() && (Character.isDigit(s.charAt(end)) || s.charAt(end) == '.')) {
            end++;
        }
        if (end == 0) {
            throw new IllegalArgumentException("'" + text + "' is not a size; write e.g. 512M or 4G");
        }
        BigDecimal number;
        try {
            number = new BigDecimal(s.substring(0, end));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a size; write e.g. 512M or 4G");
        }
        String unit = s.substring(end).trim().toUpperCase(Locale.ROOT);
        if (unit.endsWith("IB")) {
            unit = unit.substring(0, unit.length() - 2);
        } else if (unit.endsWith("B")) {
            unit = unit.substring(0, unit.length() - 1);
        }
        int shift = switch (unit) {
            case "" -> 0;
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> throw new IllegalArgumentException(
                    "'" + text + "' has an unknown unit '" + s.substring(end).trim() + "' (use K, M, G or T)");
        };
        BigDecimal bytes = number.multiply(BigDecimal.valueOf(1L << shift));
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + text + "' is too large");
        }
        long result = bytes.longValue();
        if (result <= 0) {
            throw new IllegalArgumentException("'" + text + "' is not a positive size");
        }
        return result;
    }

    /** @return {@code bytes} in the largest binary unit that keeps one decimal ({@code 1.5G}, {@code 512M}, {@code 100}). */
    static String format(long bytes) {
        String[] units = {"T", "G", "M", "K"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << shifts[i];
            if (bytes >= unit) {
                long tenths = Math.round(bytes * 10.0 / unit);
                return tenths % 10 == 0 ? (tenths / 10) + units[i] : (tenths / 10) + "." + (tenths % 10) + units[i];
            }
        }
        return Long.toString(bytes);
    }
}
