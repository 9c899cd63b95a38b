package io.percore.http.websocket;

import io.percore.memory.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * One received websocket message, for the message-level API ({@link WebSocket#receive()}): a whole TEXT or BINARY
 * message (its fragments joined), or CLOSE when the session has ended, with the close code and reason. The data
 * belongs to the receiver, which releases it.
 */
public final class WebSocketMessage {
    /** What the message is. */
    public enum Type { TEXT, BINARY, CLOSE }

    private final Type type;
    private final Buffer data;
    private final int closeCode;
    private final String closeReason;

    WebSocketMessage(Type type, Buffer data, int closeCode, String closeReason) {
        this.type = type;
        this.data = data;
        this.closeCode = closeCode;
        this.closeReason = closeReason;
    }

    /** @return TEXT, BINARY, or CLOSE. */
    public Type type() {
        return type;
    }

    /** @return true when the session has ended (no data). */
    public boolean isClose() {
        return type == Type.CLOSE;
    }

    /** @return the bytes of a data message (empty for CLOSE); the caller releases them. */
    public Buffer data() {
        return data;
    }

    /** @return the data decoded as UTF-8 (text messages were validated on arrival); does not release the data. */
    public String text() {
        return data.toString(StandardCharsets.UTF_8);
    }

    /** @return for CLOSE, the status code the session ended with (1006 when the connection just dropped); else -1. */
    public int closeCode() {
        return closeCode;
    }

    /** @return for CLOSE, the reason text; else null. */
    public String closeReason() {
        return closeReason;
    }

    @Override
    public String toString() {
        return "WebSocketMessage[" + type + (type == Type.CLOSE ? " " + closeCode + " " + closeReason : ", " + data.length() + " bytes") + "]";
    }
}
