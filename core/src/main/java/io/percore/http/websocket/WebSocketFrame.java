package io.percore.http.websocket;

import io.percore.memory.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * One received websocket frame, for the frame-level API ({@link WebSocket#receiveFrame()}): FIN, opcode and the
 * unmasked payload, which the receiver owns and releases. Data frames arrive as TEXT or BINARY, then CONTINUATION
 * frames until one has FIN set; a CLOSE frame ends the session and carries the close code and reason.
 */
public final class WebSocketFrame {
    public static final int CONTINUATION = 0x0;
    public static final int TEXT = 0x1;
    public static final int BINARY = 0x2;
    public static final int CLOSE = 0x8;
    public static final int PING = 0x9;
    public static final int PONG = 0xA;

    private final boolean fin;
    private final int opcode;
    private final Buffer payload;
    private final int closeCode;
    private final String closeReason;

    WebSocketFrame(boolean fin, int opcode, Buffer payload) {
        this(fin, opcode, payload, -1, null);
    }

    WebSocketFrame(boolean fin, int opcode, Buffer payload, int closeCode, String closeReason) {
        this.fin = fin;
        this.opcode = opcode;
        this.payload = payload;
        this.closeCode = closeCode;
        this.closeReason = closeReason;
    }

    /** @return true for the last frame of a message (always for control frames). */
    public boolean fin() {
        return fin;
    }

    /** @return the opcode (one of the constants of this class). */
    public int opcode() {
        return opcode;
    }

    /** @return the payload, unmasked; the caller releases it. */
    public Buffer payload() {
        return payload;
    }

    /** @return the payload decoded as UTF-8 (does not release it). */
    public String text() {
        return payload.toString(StandardCharsets.UTF_8);
    }

    /** @return for a CLOSE frame, its status code ({@link CloseCodes#NO_STATUS} when it had none); else -1. */
    public int closeCode() {
        return closeCode;
    }

    /** @return for a CLOSE frame, its reason text (possibly empty); else null. */
    public String closeReason() {
        return closeReason;
    }

    @Override
    public String toString() {
        return "WebSocketFrame[opcode " + opcode + (fin ? ", fin" : "") + ", " + payload.length() + " bytes"
                + (opcode == CLOSE ? ", close " + closeCode : "") + "]";
    }
}
