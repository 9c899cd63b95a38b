package io.percore.http.websocket;

import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import java.lang.foreign.ValueLayout;

/**
 * Reads websocket frames from input arriving in pieces of any size (RFC 6455 §5.2): the header is gathered byte by
 * byte if need be, the payload is kept as shares of the received buffers and unmasked in place, so a frame that
 * arrived in one read is never copied. Checks what a receiver must: reserved bits clear (no extension was
 * negotiated), known opcodes, control frames final and at most 125 bytes, masking as the side requires, the 64-bit
 * length's top bit clear, and the size limit (1009). Owning shard only.
 */
final class FrameDecoder {
    private final boolean expectMasked;
    private final long maxPayload;
    private final byte[] header = new byte[FrameHeader.MAX_SIZE];
    private int have;
    private int need = 2;
    private boolean inPayload;
    private boolean fin;
    private int opcode;
    private long remaining;
    private boolean masked;
    private int maskKey;
    private int keyIndex;
    private Packet payload = Packet.empty();

    /**
     * @param expectMasked true on a server (client frames must be masked), false on a client (server frames must not)
     * @param maxPayload   the largest payload accepted
     */
    FrameDecoder(boolean expectMasked, long maxPayload) {
        this.expectMasked = expectMasked;
        this.maxPayload = maxPayload;
    }

    /**
     * Consumes bytes of {@code in} up to the end of the next frame.
     *
     * @return the frame (its payload owned by the caller), or null when {@code in} ran out first
     * @throws ProtocolError for a frame that breaks the protocol or the limit
     */
    WebSocketFrame next(Buffer in) {
        while (true) {
            if (!inPayload) {
                while (have < need) {
                    if (in.isEmpty()) {
                        return null;
                    }
                    header[have++] = in.get(0);
                    in.trimFront(1);
                    if (have == 2) {
                        startHeader();
                    }
                }
                finishHeader();
            }
            if (remaining > 0) {
                if (in.isEmpty()) {
                    return null;
                }
                int n = (int) Math.min(remaining, in.length());
                Buffer piece = in.share(0, n);
                in.trimFront(n);
                if (masked) {
                    keyIndex = FrameHeader.mask(piece.segment(), 0, n, maskKey, keyIndex);
                }
                payload.append(piece);
                remaining -= n;
                if (remaining > 0) {
                    return null;
                }
            }
            Buffer data = payload.linearize();
            payload.release();
            WebSocketFrame f = new WebSocketFrame(fin, opcode, data);
            inPayload = false;
            have = 0;
            need = 2;
            return f;
        }
    }

    private void startHeader() {
        int b0 = header[0] & 0xff;
        int b1 = header[1] & 0xff;
        if ((b0 & 0x70) != 0) {
            throw new ProtocolError(CloseCodes.PROTOCOL_ERROR, "reserved bits set without a negotiated extension");
        }
        int op = b0 & 0x0f;
        if (op != WebSocketFrame.CONTINUATION && op != WebSocketFrame.TEXT && op != WebSocketFrame.BINARY
                && op != WebSocketFrame.CLOSE && op != WebSocketFrame.PING && op != WebSocketFrame.PONG) {
            throw new ProtocolError(CloseCodes.PROTOCOL_ERROR, "unknown opcode " + op);
        }
        boolean m = (b1 & 0x80) != 0;
        if (m != expectMasked) {
            throw new ProtocolError(CloseCodes.PROTOCOL_ERROR, expectMasked ? "client frame not masked" : "server frame masked");
        }
        int len7 = b1 & 0x7f;
        if (op >= WebSocketFrame.CLOSE) {
            if ((b0 & 0x80) == 0) {
                throw new ProtocolError(CloseCodes.PROTOCOL_ERROR, "fragmented control frame");
            }
            if (len7 > FrameHeader.MAX_7BIT) {
                throw new ProtocolError(CloseCodes.PROTOCOL_ERROR, "control frame longer than 125 bytes");
            }
        }
        need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (m ? 4 : 0);
    }

    private void finishHeader() {
        int b0 = header[0] & 0xff;
        int b1 = header[1] & 0xff;
        fin = (b0 & 0x80) != 0;
        opcode = b0 & 0x0f;
        masked = (b1 & 0x80) != 0;
        int len7 = b1 & 0x7f;
        int at = 2;
        long length;
        if (len7 == 126) {
            length = ((header[2] & 0xffL) << 8) | (header[3] & 0xffL);
            at = 4;
        } else if (len7 == 127) {
            length = 0;
            for (int i = 0; i < 8; i++) {
                length = (length << 8) | (header[2 + i] & 0xffL);
            }
            at = 10;
            if (length < 0) {
                throw new ProtocolError(CloseCodes.PROTOCOL_ERROR, "64-bit payload length with the top bit set");
            }
        } else {
            length = len7;
        }
        if (length > maxPayload) {
            throw new ProtocolError(CloseCodes.MESSAGE_TOO_BIG, "frame of " + length + " bytes exceeds the limit of " + maxPayload);
        }
        if (masked) {
            maskKey = ((header[at] & 0xff) << 24) | ((header[at + 1] & 0xff) << 16) | ((header[at + 2] & 0xff) << 8)
                    | (header[at + 3] & 0xff);
        }
        keyIndex = 0;
        remaining = length;
        inPayload = true;
    }

    /** Releases a partial frame. */
    void release() {
        payload.release();
    }

    /** Reads the 2-byte big-endian code at the start of a close payload. */
    static int closeCode(Buffer payload) {
        return ((payload.segment().get(ValueLayout.JAVA_BYTE, 0) & 0xff) << 8) | (payload.segment().get(ValueLayout.JAVA_BYTE, 1) & 0xff);
    }
}
