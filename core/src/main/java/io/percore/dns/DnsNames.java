package io.percore.dns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Domain names between their presentation form ({@code "www.example.com"}, escapes {@code \.} and
 * {@code \DDD}) and their wire form (length-prefixed labels). Any thread.
 */
final class DnsNames {
    /** RFC 1035: a label holds at most 63 bytes, a name at most 255 on the wire. */
    static final int MAX_LABEL = 63;
    static final int MAX_NAME_WIRE = 255;

    private DnsNames() {}

    /**
     * @return the labels of a presentation-form name, unescaped; none for the root ("" or ".")
     * @throws IllegalArgumentException for an empty label, a label over 63 bytes, a name over 255 bytes on the
     *                                  wire, a bad escape or a character that is not ASCII (use
     *                                  {@link java.net.IDN#toASCII} first)
     */
    static List<byte[]> labels(String name) {
        List<byte[]> labels = new ArrayList<>();
        if (name.isEmpty() || name.equals(".")) {
            return labels;
        }
        byte[] label = new byte[MAX_LABEL + 1];
        int len = 0;
        int wire = 1; // the root's zero byte
        int i = 0;
        int n = name.length();
        while (i <= n) {
            char c = i < n ? name.charAt(i) : '.';
            if (c == '.') {
                if (len == 0) {
                    if (i == n && !labels.isEmpty() && name.charAt(n - 1) == '.' && !escapedAt(name, n - 1)) {
                        break; // the final dot of an absolute name
                    }
                    throw new IllegalArgumentException("empty label in DNS name '" + name + "'");
                }
                wire += 1 + len;
                if (wire > MAX_NAME_WIRE) {
                    throw new IllegalArgumentException("DNS name longer than 255 bytes: '" + name + "'");
                }
                labels.add(Arrays.copyOf(label, len));
                len = 0;
                i++;
                continue;
            }
            int b;
            if (c == '\\') {
                if (i + 1 >= n) {
                    throw new IllegalArgumentException("DNS name ends in a backslash: '" + name + "'");
                }
                char d = name.charAt(i + 1);
                if (d >= '0' && d <= '9') {
                    b = decimal(name, i + 1);
                    i += 4;
                } else {
                    b = ascii(name, d);
                    i += 2;
                }
            } else {
                b = ascii(name, c);
                i++;
            }
            if (len == MAX_LABEL) {
                throw new IllegalArgumentException("DNS label longer than 63 bytes in '" + name + "'");
            }
            label[len++] = (byte) b;
        }
        return labels;
    }

    private static int ascii(String name, char c) {
        if (c > 0x7F) {
            throw new IllegalArgumentException("DNS name '" + name + "' is not ASCII (convert it with IDN.toASCII)");
        }
        return c;
    }

    private static int decimal(String name, int at) {
        if (at + 3 > name.length()) {
            throw new IllegalArgumentException("short \\DDD escape in DNS name '" + name + "'");
        }
        int v = 0;
        for (int k = at; k < at + 3; k++) {
            char d = name.charAt(k);
            if (d < '0' || d > '9') {
                throw new IllegalArgumentException("bad \\DDD escape in DNS name '" + name + "'");
            }
            v = v * 10 + (d - '0');
        }
        if (v > 255) {
            throw new IllegalArgumentException("\\DDD escape above 255 in DNS name '" + name + "'");
        }
        return v;
    }

    /** @return true when the character at {@code index} is escaped by an odd run of backslashes before it. */
    private static boolean escapedAt(String s, int index) {
        int slashes = 0;
        for (int k = index - 1; k >= 0 && s.charAt(k) == '\\'; k--) {
            slashes++;
        }
        return (slashes & 1) == 1;
    }

    /** @return the one presentation form of a name: escapes only where needed, no final dot. */
    static String canonical(String name) {
        StringBuilder sb = new StringBuilder(name.length());
        for (byte[] label : labels(name)) {
            if (!sb.isEmpty()) {
                sb.append('.');
            }
            for (byte b : label) {
                appendEscaped(sb, b & 0xFF);
            }
        }
        return sb.toString();
    }

    /** Appends one label byte in presentation form. */
    static void appendEscaped(StringBuilder sb, int b) {
        if (b == '.' || b == '\\') {
            sb.append('\\').append((char) b);
        } else if (b > 0x20 && b < 0x7F) {
            sb.append((char) b);
        } else {
            sb.append('\\').append((char) ('0' + b / 100)).append((char) ('0' + b / 10 % 10))
                    .append((char) ('0' + b % 10));
        }
    }

    /** @return a key equal for names DNS treats as equal: ASCII case folded, final dot dropped. */
    static String key(String name) {
        String s = name;
        if (s.endsWith(".") && !escapedAt(s, s.length() - 1)) {
            s = s.substring(0, s.length() - 1);
        }
        return s.toLowerCase(Locale.ROOT);
    }

    /** @return true for a name that ends in an unescaped dot: absolute, not to be extended by the search list. */
    static boolean isAbsolute(String name) {
        return name.endsWith(".") && !escapedAt(name, name.length() - 1);
    }

    /** @return the number of unescaped dots, not counting a final one (for the ndots rule). */
    static int dots(String name) {
        int dots = 0;
        int end = isAbsolute(name) ? name.length() - 1 : name.length();
        for (int i = 0; i < end; i++) {
            char c = name.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '.') {
                dots++;
            }
        }
        return dots;
    }

    /**
     * @return the reverse-lookup name of an address: {@code 4.3.2.1.in-addr.arpa} for 1.2.3.4, the 32
     * nibbles in reverse under {@code ip6.arpa} for IPv6 (RFC 3596)
     */
    static String reverse(InetAddress address) {
        byte[] b = address.getAddress();
        StringBuilder sb = new StringBuilder(72);
        if (address instanceof Inet4Address) {
            for (int i = 3; i >= 0; i--) {
                sb.append(b[i] & 0xFF).append('.');
            }
            return sb.append("in-addr.arpa").toString();
        }
        for (int i = 15; i >= 0; i--) {
            sb.append(Character.forDigit(b[i] & 0xF, 16)).append('.');
            sb.append(Character.forDigit((b[i] >> 4) & 0xF, 16)).append('.');
        }
        return sb.append("ip6.arpa").toString();
    }
}
