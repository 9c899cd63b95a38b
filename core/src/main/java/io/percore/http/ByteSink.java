package io.percore.http;

import io.percore.memory.Buffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/** A reusable heap scratch where message heads are assembled before one copy into a network buffer. */
final class ByteSink {
    private byte[] bytes;
    private int length;

    ByteSink(int capacity) {
        bytes = new byte[capacity];
    }

    void clear() {
        length = 0;
    }

    int length() {
        return length;
    }

    private void ensure(int more) {
        if (length + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
        }
    }

    ByteSink put(byte[] b) {
        return put(b, 0, b.length);
    }

    ByteSink put(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, bytes, length, len);
        length += len;
        return this;
    }

    ByteSink put(byte b) {
        ensure(1);
        bytes[length++] = b;
        return this;
    }

    /** Appends a Latin-1 string (header names and values are Latin-1 by construction). */
    ByteSink latin1(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            bytes[length + i] = (byte) s.charAt(i);
        }
        length += n;
        return this;
    }

    ByteSink decimal(long v) {
        if (v < 0) {
            throw new IllegalArgumentException("negative length " + v);
        }
        ensure(20);
        if (v == 0) {
            bytes[length++] = '0';
            return this;
        }
        int digits = 0;
        for (long t = v; t > 0; t /= 10) {
            digits++;
        }
        for (int i = length + digits - 1; i >= length; i--) {
            bytes[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        length += digits;
        return this;
    }

    ByteSink hex(long v) {
        String h = Long.toHexString(v);
        return latin1(h);
    }

    ByteSink crlf() {
        ensure(2);
        bytes[length++] = '\r';
        bytes[length++] = '\n';
        return this;
    }

    ByteSink header(byte[] nameColonSpace, String value) {
        return put(nameColonSpace).latin1(value).crlf();
    }

    /** @return a new buffer with the bytes so far plus room for {@code extra} more bytes after them. */
    Buffer toBuffer(int extra) {
        Buffer b = Buffer.allocate(length + extra);
        MemorySegment.copy(bytes, 0, b.segment(), ValueLayout.JAVA_BYTE, 0, length);
        return b;
    }
}
