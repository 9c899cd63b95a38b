package io.percore.memory;

import java.util.Locale;

/**
 * Byte sizes as written on the command line ({@code --memory 4G}): a whole number with an optional
 * binary unit. {@code K}, {@code M}, {@code G} and {@code T} are powers of 1024, as in Seastar and the
 * JVM's own {@code -Xmx}; the unit may be followed by {@code B} or {@code iB} ({@code 2GiB},
 * {@code 512MB}) and is case-insensitive. A bare {@code B} means bytes.
 *
 * <p>Thread-safety: stateless; any thread.
 */
public final class MemorySize {
    private MemorySize() {}

    private static final String[] UNITS = {"", "K", "M", "G", "T"};

    /**
     * Parses a size such as {@code "512M"}, {@code "4g"}, {@code "1T"}, {@code "1024"} or
     * {@code "2GiB"}. Surrounding blanks are ignored; fractions, signs and blanks inside are not accepted.
     *
     * <p>Any thread.
     *
     * @return the size in bytes
     * @throws IllegalArgumentException naming the input when it is malformed or does not fit in a long
     */
    public static long parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("memory size is missing");
        }
        String s = text.strip();
        int digits = 0;
        while (digits < s.length() && s.charAt(digits) >= '0' && s.charAt(digits) <= '9') {
            digits++;
        }
        if (digits == 0) {
            throw malformed(text);
        }
        int shift = unitShift(s.substring(digits).toUpperCase(Locale.ROOT));
        if (shift < 0) {
            throw malformed(text);
        }
        long value;
        try {
            value = Long.parseLong(s, 0, digits, 10);
        } catch (NumberFormatException e) {
            throw tooLarge(text);
        }
        if (value > (Long.MAX_VALUE >> shift)) {
            throw tooLarge(text);
        }
        return value << shift;
    }

    /** @return the power of two a unit suffix stands for, or -1 when it is not one we accept. */
    private static int unitShift(String suffix) {
        if (suffix.isEmpty() || suffix.equals("B")) {
            return 0;
        }
        int shift = switch (suffix.charAt(0)) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            default -> -1;
        };
        String rest = suffix.substring(1);
        return rest.isEmpty() || rest.equals("B") || rest.equals("IB") ? shift : -1;
    }

    private static IllegalArgumentException malformed(String text) {
        return new IllegalArgumentException("invalid memory size \"" + text
                + "\": expected a whole number with an optional unit K, M, G or T (e.g. 512M, 4G, 2GiB, 1024)");
    }

    private static IllegalArgumentException tooLarge(String text) {
        return new IllegalArgumentException("invalid memory size \"" + text + "\": larger than "
                + Long.MAX_VALUE + " bytes");
    }

    /**
     * Formats a size with the largest unit that divides it exactly, so that
     * {@code parse(format(n)) == n}: 536870912 → {@code "512M"}, 1572864 → {@code "1536K"},
     * 1000 → {@code "1000"}. Any thread.
     *
     * @throws IllegalArgumentException for a negative size
     */
    public static String format(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("memory size must not be negative, got " + bytes);
        }
        int unit = 0;
        long value = bytes;
        while (value != 0 && unit < UNITS.length - 1 && (value & 1023) == 0) {
            value >>= 10;
            unit++;
        }
        return value + UNITS[unit];
    }
}
