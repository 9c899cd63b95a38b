package io.percore.http;

import java.util.Arrays;

/**
 * Header fields built by code: a response's, a client request's, a chunked body's trailers. Names keep the case
 * they are given and compare without regard to it; {@link #add} keeps duplicates, {@link #set} replaces.
 * Names must be HTTP tokens and values must hold no CR, LF or other control character but tab, so a value
 * taken from a request cannot split a response. Owning shard thread only (or any one thread, before use).
 */
public final class HttpHeaders extends Headers {
    private String[] fields = new String[8]; // name, value, name, value...
    private int count;

    /** An empty list. */
    public HttpHeaders() {}

    /** @return a list of {@code name, value, name, value...} pairs. */
    public static HttpHeaders of(String... nameValuePairs) {
        if (nameValuePairs.length % 2 != 0) {
            throw new IllegalArgumentException("headers come in name, value pairs");
        }
        HttpHeaders h = new HttpHeaders();
        for (int i = 0; i < nameValuePairs.length; i += 2) {
            h.add(nameValuePairs[i], nameValuePairs[i + 1]);
        }
        return h;
    }

    /**
     * Appends a field.
     *
     * @return this list
     * @throws IllegalArgumentException for a name that is not a token or a value with CR, LF or a control
     */
    public HttpHeaders add(String name, String value) {
        checkName(name);
        checkValue(value);
        if (2 * count + 2 > fields.length) {
            fields = Arrays.copyOf(fields, fields.length * 2);
        }
        fields[2 * count] = name;
        fields[2 * count + 1] = value;
        count++;
        return this;
    }

    /** Replaces every field named {@code name} by one with {@code value} (appended when absent). @return this */
    public HttpHeaders set(String name, String value) {
        int i = indexOf(name, 0);
        if (i < 0) {
            return add(name, value);
        }
        checkValue(value);
        fields[2 * i + 1] = value;
        int j;
        while ((j = indexOf(name, i + 1)) >= 0) {
            removeAt(j);
        }
        return this;
    }

    /** Removes every field named {@code name}. @return true when one was there */
    public boolean remove(String name) {
        boolean any = false;
        int i;
        while ((i = indexOf(name, 0)) >= 0) {
            removeAt(i);
            any = true;
        }
        return any;
    }

    private void removeAt(int i) {
        System.arraycopy(fields, 2 * i + 2, fields, 2 * i, 2 * (count - i - 1));
        count--;
        fields[2 * count] = null;
        fields[2 * count + 1] = null;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public String name(int i) {
        return fields[2 * java.util.Objects.checkIndex(i, count)];
    }

    @Override
    public String value(int i) {
        return fields[2 * java.util.Objects.checkIndex(i, count) + 1];
    }

    @Override
    public int indexOf(String name, int from) {
        for (int i = Math.max(from, 0); i < count; i++) {
            String n = fields[2 * i];
            if (n.length() == name.length() && n.equalsIgnoreCase(name)) {
                return i;
            }
        }
        return -1;
    }

    static void checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a header name must not be empty");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c > 127 || !HttpChars.isTchar((byte) c)) {
                throw new IllegalArgumentException("header name '" + name + "' is not an HTTP token");
            }
        }
    }

    static void checkValue(String value) {
        if (value == null) {
            throw new IllegalArgumentException("a header value must not be null");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c > 255 || (c < 32 && c != '\t') || c == 127) {
                throw new IllegalArgumentException("header value holds a control or non-Latin-1 character at " + i);
            }
        }
    }
}
