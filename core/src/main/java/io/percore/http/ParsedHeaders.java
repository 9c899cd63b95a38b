package io.percore.http;

import io.percore.memory.Buffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The fields of a received head, viewed in place: each field is four offsets into the head's bytes, and a name
 * or value becomes a {@code String} only when asked for (then kept). Lookups compare the wanted name with the
 * received bytes directly, so checking for a header allocates nothing. Valid until the message is done, when the
 * server releases the head; reading it later throws {@link IllegalStateException}. Owning shard thread only.
 */
final class ParsedHeaders extends Headers {
    private Buffer head;
    private MemorySegment bytes;
    /** nameStart, nameLength, valueStart, valueLength per field; room for 8 (benchmark clients send 1–3), grown as needed. */
    private int[] offsets = new int[4 * 8];
    private String[] values;
    private int count;

    ParsedHeaders() {}

    /** Starts a new list over {@code head} (which this object does not own). */
    void reset(Buffer head) {
        this.head = head;
        this.bytes = head == null ? null : head.segment();
        this.count = 0;
        if (values != null) {
            Arrays.fill(values, null);
        }
    }

    /** Marks the bytes as gone: later reads throw. */
    void invalidate() {
        head = null;
        bytes = null;
    }

    /** @return the index the field got. */
    int add(int nameStart, int nameLength, int valueStart, int valueLength) {
        if (4 * count + 4 > offsets.length) {
            offsets = Arrays.copyOf(offsets, offsets.length * 2);
        }
        int o = 4 * count;
        offsets[o] = nameStart;
        offsets[o + 1] = nameLength;
        offsets[o + 2] = valueStart;
        offsets[o + 3] = valueLength;
        return count++;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public String name(int i) {
        java.util.Objects.checkIndex(i, count);
        return text(offsets[4 * i], offsets[4 * i + 1]);
    }

    @Override
    public String value(int i) {
        java.util.Objects.checkIndex(i, count);
        if (values == null || values.length < count) {
            values = values == null ? new String[Math.max(16, count)] : Arrays.copyOf(values, Math.max(count, 2 * values.length));
        }
        String v = values[i];
        if (v == null) {
            v = text(offsets[4 * i + 2], offsets[4 * i + 3]);
            values[i] = v;
        }
        return v;
    }

    @Override
    public int indexOf(String name, int from) {
        MemorySegment b = live();
        int len = name.length();
        for (int i = Math.max(0, from); i < count; i++) {
            if (offsets[4 * i + 1] == len && nameEquals(b, offsets[4 * i], name)) {
                return i;
            }
        }
        return -1;
    }

    /** @return true when field {@code i}'s name is {@code lowerName} (which must be lower case), case ignored. */
    boolean nameIs(int i, String lowerName) {
        return offsets[4 * i + 1] == lowerName.length() && nameEquals(live(), offsets[4 * i], lowerName);
    }

    int valueStart(int i) {
        return offsets[4 * i + 2];
    }

    int valueLength(int i) {
        return offsets[4 * i + 3];
    }

    private static boolean nameEquals(MemorySegment b, int start, String name) {
        for (int k = 0; k < name.length(); k++) {
            char c = name.charAt(k);
            byte x = b.get(ValueLayout.JAVA_BYTE, start + k);
            if (x != c && (HttpChars.lower(x) != (c >= 'A' && c <= 'Z' ? c + 32 : c))) {
                return false;
            }
        }
        return true;
    }

    private String text(int start, int length) {
        MemorySegment b = live();
        byte[] a = new byte[length];
        MemorySegment.copy(b, ValueLayout.JAVA_BYTE, start, a, 0, length);
        return new String(a, StandardCharsets.ISO_8859_1);
    }

    private MemorySegment live() {
        if (bytes == null) {
            throw new IllegalStateException("the message's head was released: its headers are no longer readable "
                    + "(read what you need before the response is written)");
        }
        return bytes;
    }
}
