package io.percore.http;

import java.util.ArrayList;
import java.util.List;

/**
 * Read access to a list of header fields in arrival order. Names compare without regard to ASCII case, as HTTP
 * says; values are returned as received (ISO-8859-1 text, without surrounding whitespace). Two kinds exist: the
 * fields of a parsed message, which view the received bytes in place until the message is done, and
 * {@link HttpHeaders}, built by code. Owning shard thread only.
 */
public abstract class Headers {
    Headers() {}

    /** @return the number of fields. */
    public abstract int size();

    /** @return the name of field {@code i} as received (case kept). */
    public abstract String name(int i);

    /** @return the value of field {@code i}. */
    public abstract String value(int i);

    /** @return the index of the first field named {@code name} at or after {@code from}, or -1. */
    public abstract int indexOf(String name, int from);

    /** @return the value of the first field named {@code name}, or null. */
    public final String get(String name) {
        int i = indexOf(name, 0);
        return i < 0 ? null : value(i);
    }

    /** @return the values of every field named {@code name}, in order (empty when none). */
    public final List<String> getAll(String name) {
        List<String> values = new ArrayList<>(2);
        for (int i = indexOf(name, 0); i >= 0; i = indexOf(name, i + 1)) {
            values.add(value(i));
        }
        return values;
    }

    /** @return true when a field named {@code name} is present. */
    public final boolean contains(String name) {
        return indexOf(name, 0) >= 0;
    }

    /**
     * @return true when any field named {@code name} holds {@code token} in its comma-separated list, ASCII case
     * ignored ({@code containsToken("Connection", "close")})
     */
    public final boolean containsToken(String name, String token) {
        for (int i = indexOf(name, 0); i >= 0; i = indexOf(name, i + 1)) {
            if (listContains(value(i), token)) {
                return true;
            }
        }
        return false;
    }

    /** @return true when the comma-separated {@code list} holds {@code token} (ASCII case and whitespace ignored). */
    static boolean listContains(String list, String token) {
        int n = list.length();
        int i = 0;
        while (i < n) {
            int end = list.indexOf(',', i);
            if (end < 0) {
                end = n;
            }
            int s = i;
            int e = end;
            while (s < e && isOws(list.charAt(s))) {
                s++;
            }
            while (e > s && isOws(list.charAt(e - 1))) {
                e--;
            }
            if (e - s == token.length() && list.regionMatches(true, s, token, 0, token.length())) {
                return true;
            }
            i = end + 1;
        }
        return false;
    }

    static boolean isOws(char c) {
        return c == ' ' || c == '\t';
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < size(); i++) {
            sb.append(name(i)).append(": ").append(value(i)).append('\n');
        }
        return sb.toString();
    }
}
