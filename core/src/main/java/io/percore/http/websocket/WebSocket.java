package io.percore.http.websocket;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Promise;
import io.percore.core.Timer;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.ConnectedSocket;
import io.percore.net.SocketAddress;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One websocket session (RFC 6455) on an established connection, after the opening handshake; the same class on
 * the server side (made by {@link WebSocketServer}) and the client side (by {@link WebSocketClient}).
 *
 * <h2>Receiving</h2>
 * Reading is pulled by the application, so a slow consumer slows the peer down through TCP: {@link #receive()}
 * returns the next whole message (fragments joined, text checked to be UTF-8), {@link #receiveFrame()} the next data
 * frame as it came (for streaming large messages). Control frames are handled inside either call: a ping is
 * answered with a pong, a pong completes {@link #ping}'s future, and a close frame is answered and ends the
 * session, which then returns a CLOSE message (or frame) with the code — again on every later call. Use one of the
 * two calls per message, and one pending call at a time.
 *
 * <h2>Sending</h2>
 * {@link #sendText}, {@link #sendBinary}, and {@link #sendFrame} for fragmented messages (TEXT or BINARY with
 * fin false, then CONTINUATION frames). A client masks every frame with a fresh random key (a copy of the payload is
 * masked, so a shared buffer is never changed); a server sends payloads without copying. Each send's future
 * resolves once the bytes are queued for the network (back-pressure).
 *
 * <h2>Closing</h2>
 * {@link #close(int, String)} sends a close frame and waits, up to the close timeout, for the peer's; a protocol
 * violation by the peer closes with 1002, invalid UTF-8 with 1007, an over-long message with 1009. The server
 * closes TCP first; the client waits for it. {@link #closed()} resolves when the connection is gone.
 *
 * <p>Owning shard thread only.
 */
public final class WebSocket {
    private final ConnectedSocket socket;
    private final boolean client;
    private final boolean ownsSocket;
    private final WebSocketConfig config;
    private final String subprotocol;
    private final FrameDecoder decoder;
    private final Utf8Validator utf8 = new Utf8Validator();
    private final SecureRandom maskSource;
    private Buffer buffered;

    private int messageOpcode = -1;
    private long messageSize;
    private boolean receiving;
    private boolean closeSent;
    private boolean closeReceived;
    private boolean terminated;
    private int closeCode = -1;
    private String closeReason;
    private Timer closeTimer;
    private final List<Promise<Void>> closedWaiters = new ArrayList<>();
    private final List<Promise<Void>> pongWaiters = new ArrayList<>();

    WebSocket(ConnectedSocket socket, Buffer received, boolean client, boolean ownsSocket, WebSocketConfig config,
              String subprotocol) {
        this.socket = socket;
        this.client = client;
        this.ownsSocket = ownsSocket;
        this.config = config;
        this.subprotocol = subprotocol;
        this.decoder = new FrameDecoder(!client, config.maxMessageSize());
        this.buffered = received;
        this.maskSource = client ? new SecureRandom() : null;
    }

    /** @return the subprotocol agreed in the handshake, or null. */
    public String subprotocol() {
        return subprotocol;
    }

    /** @return the peer's address. */
    public SocketAddress remoteAddress() {
        return socket.remoteAddress();
    }

    /** @return true until a close frame was sent or received, or the connection failed. */
    public boolean isOpen() {
        return !closeSent && !closeReceived && !terminated;
    }

    /** @return the code the session ended with, or -1 while it has not. */
    public int closeCode() {
        return closeCode;
    }

    // ================================================================== receiving

    /**
     * @return the next whole message; CLOSE (with its code) once the session has ended. Never fails for protocol
     * reasons: those end the session with their code.
     */
    public Future<WebSocketMessage> receive() {
        Packet parts = Packet.empty();
        int[] type = {-1};
        return Futures.repeat(() -> receiveFrame().map(f -> {
            if (f.opcode() == WebSocketFrame.CLOSE) {
                parts.release();
                type[0] = WebSocketFrame.CLOSE;
                closeFrame = f;
                return true;
            }
            if (type[0] < 0) {
                type[0] = f.opcode();
            }
            parts.append(f.payload());
            return f.fin();
        })).map(v -> {
            if (type[0] == WebSocketFrame.CLOSE) {
                WebSocketFrame f = closeFrame;
                closeFrame = null;
                f.payload().release();
                return new WebSocketMessage(WebSocketMessage.Type.CLOSE, Buffer.empty(), f.closeCode(), f.closeReason());
            }
            Buffer data = parts.linearize();
            parts.release();
            return new WebSocketMessage(type[0] == WebSocketFrame.TEXT ? WebSocketMessage.Type.TEXT
                    : WebSocketMessage.Type.BINARY, data, -1, null);
        });
    }

    private WebSocketFrame closeFrame;

    /**
     * @return the next data frame (TEXT, BINARY or CONTINUATION, with its FIN bit), or a CLOSE frame once the
     * session has ended
     */
    public Future<WebSocketFrame> receiveFrame() {
        if (receiving) {
            return Future.failed(new IllegalStateException("a receive is already pending on this websocket"));
        }
        receiving = true;
        return nextFrame().finallyDo(() -> receiving = false);
    }

    private Future<WebSocketFrame> nextFrame() {
        while (true) {
            if (terminated || closeReceived) {
                return Future.ready(closedFrame());
            }
            WebSocketFrame f;
            try {
                f = decoder.next(buffered);
            } catch (ProtocolError e) {
                return Future.ready(fail(e.code(), e.getMessage()));
            }
            if (f == null) {
                return readMore().flatMap(more -> more ? nextFrame() : Future.ready(closedFrame()));
            }
            WebSocketFrame data;
            try {
                data = handle(f);
            } catch (ProtocolError e) {
                f.payload().release();
                return Future.ready(fail(e.code(), e.getMessage()));
            }
            if (data != null) {
                return Future.ready(data);
            }
            if (closeReceived) {
                return finishClose().map(v -> closedFrame());
            }
        }
    }

    /** @return true when bytes arrived; false at end of stream or on a read failure (the session is then over). */
    private Future<Boolean> readMore() {
        buffered.release();
        buffered = Buffer.empty();
        return socket.input().read().handle((b, e) -> {
            if (e != null || b.isEmpty()) {
                if (b != null) {
                    b.release();
                }
                terminate(CloseCodes.ABNORMAL, e == null ? "connection closed without a close frame" : e.toString());
                return false;
            }
            buffered = b;
            return true;
        });
    }

    /** Handles control frames and checks data frames. @return the data frame to deliver, or null */
    private WebSocketFrame handle(WebSocketFrame f) {
        int op = f.opcode();
        switch (op) {
            case WebSocketFrame.PING -> {
                if (!closeSent) {
                    sendFrameInternal(true, WebSocketFrame.PONG, f.payload()).ignoreFailure();
                } else {
                    f.payload().release();
                }
                return null;
            }
            case WebSocketFrame.PONG -> {
                f.payload().release();
                List<Promise<Void>> waiters = List.copyOf(pongWaiters);
                pongWaiters.clear();
                for (Promise<Void> p : waiters) {
                    p.setValue(null);
                }
                return null;
            }
            case WebSocketFrame.CLOSE -> {
                onCloseFrame(f.payload());
                return null;
            }
            default -> {
                if (closeSent) {
                    f.payload().release(); // after our close, data is read and dropped (RFC 6455 §1.4)
                    return null;
                }
                return checkData(f);
            }
        }
    }

    private WebSocketFrame checkData(WebSocketFrame f) {
        int op = f.opcode();
        if (op == WebSocketFrame.CONTINUATION) {
            if (messageOpcode < 0) {
                throw new ProtocolError(CloseCodes.PROTOCOL_ERROR, "continuation frame without a message in progress");
            }
        } else {
            if (messageOpcode >= 0) {
                throw new ProtocolError(CloseCodes.PROTOCOL_ERROR, "new message before the previous one ended");
            }
            messageOpcode = op;
            messageSize = 0;
            utf8.reset();
        }
        messageSize += f.payload().length();
        if (messageSize > config.maxMessageSize()) {
            throw new ProtocolError(CloseCodes.MESSAGE_TOO_BIG, "message longer than " + config.maxMessageSize() + " bytes");
        }
        if (messageOpcode == WebSocketFrame.TEXT) {
            MemorySegment seg = f.payload().isEmpty() ? MemorySegment.NULL : f.payload().segment();
            if (!utf8.feed(seg, 0, f.payload().length()) || (f.fin() && !utf8.isComplete())) {
                throw new ProtocolError(CloseCodes.INVALID_PAYLOAD, "text message is not valid UTF-8");
            }
        }
        if (f.fin()) {
            messageOpcode = -1;
        }
        return f;
    }

    /** Takes a close frame's payload; on a ProtocolError the caller still owns (and releases) it. */
    private void onCloseFrame(Buffer payload) {
        int code;
        String reason;
        if (payload.length() == 0) {
            code = CloseCodes.NO_STATUS;
            reason = "";
        } else if (payload.length() == 1) {
            throw new ProtocolError(CloseCodes.PROTOCOL_ERROR, "close frame with a 1-byte payload");
        } else {
            code = FrameDecoder.closeCode(payload);
            if (!CloseCodes.isSendable(code)) {
                throw new ProtocolError(CloseCodes.PROTOCOL_ERROR, "close code " + code + " may not be sent");
            }
            reason = decodeReason(payload);
        }
        payload.release();
        closeReceived = true;
        if (closeCode < 0) {
            closeCode = code;
            closeReason = reason;
        }
        if (!closeSent) {
            // Echo the code (RFC 6455 §5.5.1); a close without a code is answered without one.
            closeSent = true;
            sendClose(code == CloseCodes.NO_STATUS ? -1 : code, "").ignoreFailure();
        }
    }

    private static String decodeReason(Buffer payload) {
        if (payload.length() == 2) {
            return "";
        }
        ByteBuffer bytes = payload.segment().asSlice(2).asByteBuffer();
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolError(CloseCodes.INVALID_PAYLOAD, "close reason is not valid UTF-8");
        }
    }

    private WebSocketFrame closedFrame() {
        return new WebSocketFrame(true, WebSocketFrame.CLOSE, Buffer.empty(), closeCode, closeReason == null ? "" : closeReason);
    }

    /** Fails the connection: a close frame with {@code code} when none was sent, then the TCP connection closes. */
    private WebSocketFrame fail(int code, String reason) {
        if (closeCode < 0) {
            closeCode = code;
            closeReason = reason;
        }
        Future<Void> sent = closeSent ? Future.done() : sendClose(code, truncate(reason));
        closeSent = true;
        sent.handle((v, e) -> null).onComplete((v, e) -> terminateSocket());
        return closedFrame();
    }

    // ================================================================== sending

    /** Sends a text message. @return resolved when queued for the network */
    public Future<Void> sendText(String text) {
        return sendData(WebSocketFrame.TEXT, Buffer.copyOf(text));
    }

    /** Sends a binary message; {@code data} passes to the websocket. @return resolved when queued for the network */
    public Future<Void> sendBinary(Buffer data) {
        return sendData(WebSocketFrame.BINARY, data);
    }

    /** Sends a binary message copied from {@code data}. */
    public Future<Void> sendBinary(byte[] data) {
        return sendData(WebSocketFrame.BINARY, Buffer.copyOf(data));
    }

    /**
     * Sends one data frame, for fragmented messages: TEXT or BINARY with {@code fin} false starts one, CONTINUATION
     * frames follow, the last with {@code fin} true. The caller keeps the sequence valid (and text valid UTF-8).
     */
    public Future<Void> sendFrame(boolean fin, int opcode, Buffer payload) {
        if (opcode != WebSocketFrame.TEXT && opcode != WebSocketFrame.BINARY && opcode != WebSocketFrame.CONTINUATION) {
            payload.release();
            return Future.failed(new IllegalArgumentException("sendFrame sends data frames; use ping/close for control frames"));
        }
        if (closeSent || terminated) {
            payload.release();
            return Future.failed(new IllegalStateException("websocket is closing"));
        }
        return sendFrameInternal(fin, opcode, payload);
    }

    private Future<Void> sendData(int opcode, Buffer data) {
        if (closeSent || terminated) {
            data.release();
            return Future.failed(new IllegalStateException("websocket is closing"));
        }
        return sendFrameInternal(true, opcode, data);
    }

    /**
     * Sends a ping with {@code payload} (at most 125 bytes).
     *
     * @return resolved when a pong arrives — read while a receive call is pending, as all control frames are
     */
    public Future<Void> ping(byte[] payload) {
        if (payload.length > FrameHeader.MAX_7BIT) {
            return Future.failed(new IllegalArgumentException("a ping carries at most 125 bytes"));
        }
        if (closeSent || terminated) {
            return Future.failed(new IllegalStateException("websocket is closing"));
        }
        Promise<Void> p = new Promise<>();
        pongWaiters.add(p);
        sendFrameInternal(true, WebSocketFrame.PING, Buffer.copyOf(payload)).ignoreFailure();
        return p;
    }

    /** Writes one frame; takes ownership of {@code payload}. */
    private Future<Void> sendFrameInternal(boolean fin, int opcode, Buffer payload) {
        long length = payload.length();
        int headerSize = FrameHeader.size(length, client);
        if (client) {
            // Masking changes the bytes: mask a copy, never the caller's (possibly shared) buffer.
            int key = maskSource.nextInt();
            Buffer frame = Buffer.allocate(Math.toIntExact(headerSize + length));
            MemorySegment seg = frame.segment();
            FrameHeader.write(seg, 0, fin, opcode, length, true, key);
            if (length > 0) {
                MemorySegment.copy(payload.segment(), 0, seg, headerSize, length);
                FrameHeader.mask(seg, headerSize, length, key, 0);
            }
            payload.release();
            return socket.output().write(frame);
        }
        if (length <= 512) {
            Buffer frame = Buffer.allocate(Math.toIntExact(headerSize + length));
            MemorySegment seg = frame.segment();
            FrameHeader.write(seg, 0, fin, opcode, length, false, 0);
            if (length > 0) {
                MemorySegment.copy(payload.segment(), 0, seg, headerSize, length);
            }
            payload.release();
            return socket.output().write(frame);
        }
        Buffer head = Buffer.allocate(headerSize);
        FrameHeader.write(head.segment(), 0, fin, opcode, length, false, 0);
        return socket.output().write(Packet.of(head, payload));
    }

    private Future<Void> sendClose(int code, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        Buffer payload;
        if (code < 0) {
            payload = Buffer.empty();
        } else {
            payload = Buffer.allocate(2 + r.length);
            payload.put(0, (byte) (code >>> 8));
            payload.put(1, (byte) code);
            for (int i = 0; i < r.length; i++) {
                payload.put(2 + i, r[i]);
            }
        }
        return sendFrameInternal(true, WebSocketFrame.CLOSE, payload);
    }

    /** A close reason fits the 125-byte control payload with the code: cut at a character boundary. */
    private static String truncate(String reason) {
        String r = reason == null ? "" : reason;
        while (r.getBytes(StandardCharsets.UTF_8).length > 123) {
            r = r.substring(0, r.length() - 1);
        }
        return r;
    }

    // ================================================================== closing

    /**
     * Starts the closing handshake with {@code code} (a sendable code, see {@link CloseCodes#isSendable}) and
     * {@code reason} (at most 123 UTF-8 bytes), unless one is under way.
     *
     * @return resolved when the connection is closed: the peer answered, or the close timeout passed
     */
    public Future<Void> close(int code, String reason) {
        Objects.requireNonNull(reason, "reason");
        if (!CloseCodes.isSendable(code)) {
            return Future.failed(new IllegalArgumentException("close code " + code + " may not be sent"));
        }
        if (reason.getBytes(StandardCharsets.UTF_8).length > 123) {
            return Future.failed(new IllegalArgumentException("close reason longer than 123 bytes"));
        }
        Future<Void> done = closed();
        if (closeSent || terminated) {
            return done;
        }
        closeSent = true;
        if (closeCode < 0) {
            closeCode = code;
            closeReason = reason;
        }
        sendClose(code, reason).ignoreFailure();
        closeTimer = new Timer(this::terminateSocket);
        closeTimer.arm(config.closeTimeout());
        if (!receiving) {
            // Nobody reads: read (and drop data) until the peer's close frame comes.
            receiving = true;
            Futures.repeat(() -> nextFrame().map(f -> {
                if (f.opcode() != WebSocketFrame.CLOSE) {
                    f.payload().release();
                    return false;
                }
                return true;
            })).onComplete((v, e) -> receiving = false);
        }
        return done;
    }

    /** @return a future resolved when the connection is closed (a new future for each call). */
    public Future<Void> closed() {
        if (terminated) {
            return Future.done();
        }
        Promise<Void> p = new Promise<>();
        closedWaiters.add(p);
        return p;
    }

    /** After both close frames: the server closes TCP; the client waits for the server to. */
    private Future<Void> finishClose() {
        if (closeTimer != null) {
            closeTimer.cancel();
        }
        if (!client) {
            return socket.output().close().handle((v, e) -> null).map(v -> {
                terminateSocket();
                return null;
            });
        }
        Timer t = new Timer(this::terminateSocket);
        t.arm(config.closeTimeout());
        return Futures.repeat(() -> {
            buffered.release();
            buffered = Buffer.empty();
            return socket.input().read().handle((b, e) -> {
                if (b != null) {
                    boolean end = b.isEmpty();
                    b.release();
                    return end;
                }
                return true;
            });
        }).handle((v, e) -> {
            t.cancel();
            terminateSocket();
            return null;
        });
    }

    private void terminate(int code, String reason) {
        if (closeCode < 0) {
            closeCode = code;
            closeReason = reason;
        }
        terminateSocket();
    }

    /** Ends the connection for good and wakes everyone waiting. */
    private void terminateSocket() {
        if (terminated) {
            return;
        }
        terminated = true;
        if (closeCode < 0) {
            closeCode = CloseCodes.ABNORMAL;
            closeReason = "close handshake timed out";
        }
        if (closeTimer != null) {
            closeTimer.cancel();
        }
        buffered.release();
        buffered = Buffer.empty();
        decoder.release();
        if (ownsSocket) {
            socket.output().close().handle((v, e) -> null).flatMap(v -> socket.close()).ignoreFailure();
        } else {
            socket.output().close().ignoreFailure();
        }
        for (Promise<Void> p : pongWaiters) {
            p.setException(new IllegalStateException("websocket closed before the pong"));
        }
        pongWaiters.clear();
        List<Promise<Void>> waiters = List.copyOf(closedWaiters);
        closedWaiters.clear();
        for (Promise<Void> p : waiters) {
            p.setValue(null);
        }
    }
}
