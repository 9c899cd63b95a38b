package io.percore.http.websocket;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Checks that bytes arriving in pieces form well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF, no stray continuation bytes. A sequence may be cut anywhere between
 * pieces; {@link #isComplete()} says whether the input so far ends on a character boundary. Fails as soon as a
 * byte cannot continue any valid text, which lets a websocket close with 1007 before a bad message is complete.
 */
final class Utf8Validator {
    /** Continuation bytes still expected in the current sequence. */
    private int pending;
    /** Allowed range of the next continuation byte (narrower right after some lead bytes). */
    private int lower = 0x80;
    private int upper = 0xBF;

    /** @return false once the bytes seen cannot be UTF-8 (then the validator stays failed until reset). */
    boolean feed(MemorySegment data, long offset, long length) {
        if (pending < 0) {
            return false;
        }
        for (long i = 0; i < length; i++) {
            int b = data.get(ValueLayout.JAVA_BYTE, offset + i) & 0xff;
            if (pending == 0) {
                if (b < 0x80) {
                    continue;
                }
                if (b >= 0xC2 && b <= 0xDF) {
                    pending = 1;
                    lower = 0x80;
                    upper = 0xBF;
                } else if (b >= 0xE0 && b <= 0xEF) {
                    pending = 2;
                    lower = b == 0xE0 ? 0xA0 : 0x80; // E0 A0..BF: no overlong 3-byte forms
                    upper = b == 0xED ? 0x9F : 0xBF; // ED 80..9F: no surrogates
                } else if (b >= 0xF0 && b <= 0xF4) {
                    pending = 3;
                    lower = b == 0xF0 ? 0x90 : 0x80; // F0 90..BF: no overlong 4-byte forms
                    upper = b == 0xF4 ? 0x8F : 0xBF; // F4 80..8F: nothing above U+10FFFF
                } else {
                    pending = -1;
                    return false;
                }
            } else {
                if (b < lower || b > upper) {
                    pending = -1;
                    return false;
                }
                lower = 0x80;
                upper = 0xBF;
                pending--;
            }
        }
        return true;
    }

    /** @return true when the bytes so far end between characters (and none was bad). */
    boolean isComplete() {
        return pending == 0;
    }

    /** Starts over for a new message. */
    void reset() {
        pending = 0;
        lower = 0x80;
        upper = 0xBF;
    }

    /** @return true when {@code bytes} is well-formed UTF-8. */
    static boolean isValid(MemorySegment bytes) {
        Utf8Validator v = new Utf8Validator();
        return v.feed(bytes, 0, bytes.byteSize()) && v.isComplete();
    }
}
