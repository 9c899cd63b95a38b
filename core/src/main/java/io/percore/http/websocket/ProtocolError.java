package io.percore.http.websocket;

/** The peer broke RFC 6455: the connection is failed with {@link #code()} (1002, 1007 or 1009). */
final class ProtocolError extends RuntimeException {
    private final int code;

    ProtocolError(int code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    int code() {
        return code;
    }
}
