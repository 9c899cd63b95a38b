package io.percore.http;

/** Character classes of RFC 9110 as lookup tables, for the parsers. */
final class HttpChars {
    private HttpChars() {}

    private static final boolean[] TCHAR = new boolean[256];
    /** Field-value bytes: VCHAR, obs-text, SP, HTAB. */
    private static final boolean[] FIELD_VCHAR = new boolean[256];
    /** Request-target bytes: visible ASCII (no space, no controls, no obs-text). */
    private static final boolean[] TARGET = new boolean[256];

    static {
        for (int c = '0'; c <= '9'; c++) {
            TCHAR[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TCHAR[c] = true;
            TCHAR[c - 32] = true;
        }
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
        for (int c = 0x21; c <= 0x7e; c++) {
            FIELD_VCHAR[c] = true;
            TARGET[c] = true;
        }
        for (int c = 0x80; c <= 0xff; c++) {
            FIELD_VCHAR[c] = true;
        }
        FIELD_VCHAR[' '] = true;
        FIELD_VCHAR['\t'] = true;
    }

    static boolean isTchar(byte b) {
        return TCHAR[b & 0xff];
    }

    static boolean isFieldChar(byte b) {
        return FIELD_VCHAR[b & 0xff];
    }

    static boolean isTargetChar(byte b) {
        return TARGET[b & 0xff];
    }

    static int hexValue(byte b) {
        if (b >= '0' && b <= '9') {
            return b - '0';
        }
        if (b >= 'a' && b <= 'f') {
            return b - 'a' + 10;
        }
        if (b >= 'A' && b <= 'F') {
            return b - 'A' + 10;
        }
        return -1;
    }

    static byte lower(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
    }
}
