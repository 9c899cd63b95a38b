package io.percore.http.websocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.http.FakeNet;
import io.percore.http.HttpServer;
import io.percore.http.HttpServerConfig;
import io.percore.http.Raw;
import io.percore.http.Router;
import io.percore.http.ShardTestBase;
import io.percore.memory.Buffer;
import io.percore.net.ListenOptions;
import io.percore.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Websocket server and client against each other over the in-memory network, and against raw bytes. */
class WebSocketTest extends ShardTestBase {
    static final int[] BOUNDARIES = {0, 125, 126, 65535, 65536, 1 << 20};

    /** Echoes every message back until the session ends. */
    static Future<?> echo(WebSocket ws) {
        return Futures.repeat(() -> ws.receive().flatMap(m -> {
            if (m.isClose()) {
                return Future.ready(true);
            }
            Future<Void> sent = m.type() == WebSocketMessage.Type.TEXT ? ws.sendText(m.text()) : ws.sendBinary(m.data().share());
            m.data().release();
            return sent.map(v -> false);
        }));
    }

    static Router routes(WebSocketConfig config) {
        return new Router()
                .get("/ws", WebSocketServer.handler(config, WebSocketTest::echo))
                .get("/frames", WebSocketServer.handler(config, ws -> {
                    List<String> seen = new ArrayList<>();
                    return Futures.repeat(() -> ws.receiveFrame().map(f -> {
                        seen.add(f.opcode() + ":" + f.fin() + ":" + f.payload().length());
                        f.payload().release();
                        return f.fin() || f.opcode() == WebSocketFrame.CLOSE;
                    })).then(() -> ws.sendText(String.join(",", seen)));
                }))
                .get("/closer", WebSocketServer.handler(config, ws -> ws.close(4001, "server bye")))
                .get("/pinger", WebSocketServer.handler(config, ws -> {
                    Future<Void> pong = ws.ping("hi".getBytes());
                    return ws.receive().flatMap(m -> {
                        m.data().release();
                        return pong.then(() -> ws.sendText("pong seen"));
                    });
                }));
    }

    /** Runs {@code body} with a server on a fake network and a connected client websocket. */
    static <T> T withSocket(WebSocketConfig serverConfig, String path, WebSocketConfig clientConfig,
                            Function<WebSocket, Future<T>> body) throws Exception {
        return async(() -> {
            FakeNet net = new FakeNet();
            HttpServer server = new HttpServer(routes(serverConfig), HttpServerConfig.defaults());
            SocketAddress addr = server.listen(net, SocketAddress.of("127.0.0.1", 0), ListenOptions.defaults());
            return WebSocketClient.connect(net, addr, path, clientConfig)
                    .flatMap(ws -> body.apply(ws).finallyDoAsync(() -> ws.close(CloseCodes.NORMAL, "")))
                    .finallyDoAsync(server::stop);
        });
    }

    @Test
    void boundaryPayloadsBothWaysBinaryAndText() throws Exception {
        Random r = new Random(11);
        for (int size : BOUNDARIES) {
            byte[] bytes = new byte[size];
            r.nextBytes(bytes);
            String text = "é".repeat(size / 2) + (size % 2 == 1 ? "a" : "");
            String out = withSocket(WebSocketConfig.defaults(), "/ws", WebSocketConfig.defaults(), ws ->
                    ws.sendBinary(bytes).then(ws::receive).flatMap(m -> {
                        assertEquals(WebSocketMessage.Type.BINARY, m.type());
                        assertArrayEquals(bytes, m.data().toArray(), "binary of " + size);
                        m.data().release();
                        return ws.sendText(text).then(ws::receive);
                    }).flatMap(m -> {
                        assertEquals(WebSocketMessage.Type.TEXT, m.type());
                        assertEquals(size, m.data().length());
                        assertEquals(text, m.text(), "text of " + size);
                        m.data().release();
                        return ws.close(CloseCodes.NORMAL, "done").map(v -> "closed " + ws.closeCode());
                    }));
            assertEquals("closed 1000", out, "size " + size);
        }
    }

    @Test
    void fragmentedMessagesJoinAndFramesArriveAsSent() throws Exception {
        String joined = withSocket(WebSocketConfig.defaults(), "/ws", WebSocketConfig.defaults(), ws ->
                ws.sendFrame(false, WebSocketFrame.TEXT, Buffer.copyOf("Hel"))
                        .then(() -> ws.sendFrame(false, WebSocketFrame.CONTINUATION, Buffer.copyOf("lo ")))
                        .then(() -> ws.sendFrame(true, WebSocketFrame.CONTINUATION, Buffer.copyOf("world")))
                        .then(ws::receive).map(m -> {
                            String t = m.text();
                            m.data().release();
                            return t;
                        }));
        assertEquals("Hello world", joined);
        String frames = withSocket(WebSocketConfig.defaults(), "/frames", WebSocketConfig.defaults(), ws ->
                ws.sendFrame(false, WebSocketFrame.BINARY, Buffer.copyOf("abc"))
                        .then(() -> ws.sendFrame(false, WebSocketFrame.CONTINUATION, Buffer.copyOf("")))
                        .then(() -> ws.sendFrame(true, WebSocketFrame.CONTINUATION, Buffer.copyOf("defgh")))
                        .then(ws::receive).map(m -> {
                            String t = m.text();
                            m.data().release();
                            return t;
                        }));
        assertEquals("2:false:3,0:false:0,0:true:5", frames);
    }

    @Test
    void pingsAreAnsweredBothWays() throws Exception {
        String out = withSocket(WebSocketConfig.defaults(), "/ws", WebSocketConfig.defaults(), ws -> {
            Future<WebSocketMessage> incoming = ws.receive();
            return ws.ping(new byte[] {1, 2, 3}).then(() -> ws.sendText("after pong")).then(() -> incoming).map(m -> {
                String t = m.text();
                m.data().release();
                return t;
            });
        });
        assertEquals("after pong", out);
        String served = withSocket(WebSocketConfig.defaults(), "/pinger", WebSocketConfig.defaults(), ws -> {
            Future<WebSocketMessage> incoming = ws.receive();
            return ws.sendText("go").then(() -> incoming).map(m -> {
                String t = m.text();
                m.data().release();
                return t;
            });
        });
        assertEquals("pong seen", served);
    }

    @Test
    void closeHandshakesCarryTheirCodes() throws Exception {
        String byServer = withSocket(WebSocketConfig.defaults(), "/closer", WebSocketConfig.defaults(), ws ->
                ws.receive().flatMap(m -> ws.closed().map(v -> m.type() + " " + m.closeCode() + " " + m.closeReason()
                        + " / " + ws.closeCode() + " open " + ws.isOpen())));
        assertEquals("CLOSE 4001 server bye / 4001 open false", byServer);
        String byClient = withSocket(WebSocketConfig.defaults(), "/frames", WebSocketConfig.defaults(), ws ->
                ws.close(4000, "bye").map(v -> "closed " + ws.closeCode()));
        assertEquals("closed 4000", byClient);
    }

    @Test
    void serverStopClosesSessionsWith1001() throws Exception {
        String out = async(() -> {
            FakeNet net = new FakeNet();
            HttpServer server = new HttpServer(routes(WebSocketConfig.defaults()), HttpServerConfig.defaults());
            SocketAddress addr = server.listen(net, SocketAddress.of("127.0.0.1", 0), ListenOptions.defaults());
            return WebSocketClient.connect(net, addr, "/ws", WebSocketConfig.defaults()).flatMap(ws -> {
                Future<WebSocketMessage> incoming = ws.receive();
                Future<Void> stopped = server.stop();
                return incoming.flatMap(m -> stopped.map(v -> m.type() + " " + m.closeCode() + " " + m.closeReason()));
            });
        });
        assertEquals("CLOSE 1001 server stopping", out);
    }

    @Test
    void invalidUtf8Closes1007AndOversizeCloses1009() throws Exception {
        String utf8 = withSocket(WebSocketConfig.defaults(), "/ws", WebSocketConfig.defaults(), ws ->
                ws.sendFrame(false, WebSocketFrame.TEXT, Buffer.copyOf(new byte[] {'o', 'k', (byte) 0xCE}))
                        .then(() -> ws.sendFrame(true, WebSocketFrame.CONTINUATION, Buffer.copyOf(new byte[] {(byte) 0xFF})))
                        .then(ws::receive).map(m -> m.type() + " " + m.closeCode()));
        assertEquals("CLOSE 1007", utf8);
        WebSocketConfig small = WebSocketConfig.defaults().withMaxMessageSize(1000);
        String big = withSocket(small, "/ws", WebSocketConfig.defaults(), ws ->
                ws.sendBinary(new byte[1001]).then(ws::receive).map(m -> m.type() + " " + m.closeCode()));
        assertEquals("CLOSE 1009", big);
        String fragmented = withSocket(small, "/ws", WebSocketConfig.defaults(), ws ->
                ws.sendFrame(false, WebSocketFrame.BINARY, Buffer.copyOf(new byte[600]))
                        .then(() -> ws.sendFrame(true, WebSocketFrame.CONTINUATION, Buffer.copyOf(new byte[600])))
                        .then(ws::receive).map(m -> m.type() + " " + m.closeCode()));
        assertEquals("CLOSE 1009", fragmented);
        String exact = withSocket(small, "/ws", WebSocketConfig.defaults(), ws ->
                ws.sendBinary(new byte[1000]).then(ws::receive).map(m -> {
                    m.data().release();
                    return m.type() + " " + m.data().length();
                }));
        assertEquals("BINARY 1000", exact);
    }

    private static final String UPGRADE = "GET /ws HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    /** Sends a handshake and then raw frame bytes; returns everything the server sent, as hex after the head. */
    private static String raw(String request, byte[] frames) throws Exception {
        return async(() -> {
            FakeNet net = new FakeNet();
            HttpServer server = new HttpServer(routes(WebSocketConfig.defaults().withSubprotocols("chat.v2", "chat")),
                    HttpServerConfig.defaults());
            SocketAddress addr = server.listen(net, SocketAddress.of("127.0.0.1", 0), ListenOptions.defaults());
            return net.connect(addr).flatMap(s -> s.output().write(Buffer.copyOf(Raw.bytes(request)))
                    .then(() -> s.output().write(Buffer.copyOf(frames)))
                    .then(() -> s.output().close())
                    .then(() -> Raw.readUntil(s, t -> false))
                    .finallyDoAsync(s::close)).finallyDoAsync(server::stop);
        });
    }

    private static String hexAfterHead(String response) {
        byte[] b = response.substring(response.indexOf("\r\n\r\n") + 4).getBytes(StandardCharsets.ISO_8859_1);
        return java.util.HexFormat.of().formatHex(b);
    }

    @Test
    void serverHandshakeAndProtocolErrorsOnTheWire() throws Exception {
        String ok = raw(UPGRADE + "Sec-WebSocket-Protocol: chat, chat.v2\r\n\r\n", FrameCodecTest.frame(true, 8, new byte[] {0x03, (byte) 0xe8}, true));
        assertTrue(ok.startsWith("HTTP/1.1 101 Switching Protocols\r\n"), ok);
        assertTrue(ok.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), ok);
        assertTrue(ok.contains("Sec-WebSocket-Protocol: chat.v2\r\n"), ok);
        assertEquals("880203e8", hexAfterHead(ok), "the close is echoed with its code");
        String unmasked = raw(UPGRADE + "\r\n", FrameCodecTest.frame(true, 1, "hi".getBytes(), false));
        assertTrue(hexAfterHead(unmasked).startsWith(String.format("88%02x03ea", 2 + "client frame not masked".length())), unmasked);
        String noCode = raw(UPGRADE + "\r\n", FrameCodecTest.frame(true, 8, new byte[0], true));
        assertEquals("8800", hexAfterHead(noCode));
        String badCode = raw(UPGRADE + "\r\n", FrameCodecTest.frame(true, 8, new byte[] {0x03, (byte) 0xed}, true));
        assertTrue(hexAfterHead(badCode).substring(4).startsWith("03ea"), badCode);
        String continuation = raw(UPGRADE + "\r\n", FrameCodecTest.frame(true, 0, "x".getBytes(), true));
        assertTrue(hexAfterHead(continuation).substring(4).startsWith("03ea"), continuation);
        String oldVersion = raw(UPGRADE.replace("Version: 13", "Version: 8") + "\r\n", new byte[0]);
        assertTrue(oldVersion.startsWith("HTTP/1.1 426 Upgrade Required\r\n") && oldVersion.contains("Sec-WebSocket-Version: 13\r\n"), oldVersion);
        String badKey = raw(UPGRADE.replace("dGhlIHNhbXBsZSBub25jZQ==", "short") + "\r\n", new byte[0]);
        assertTrue(badKey.startsWith("HTTP/1.1 400 Bad Request\r\n"), badKey);
        String plain = raw("GET /ws HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", new byte[0]);
        assertTrue(plain.startsWith("HTTP/1.1 426 Upgrade Required\r\n"), plain);
    }

    @Test
    void clientNegotiatesSubprotocolsAndChecksTheServer() throws Exception {
        String chosen = withSocket(WebSocketConfig.defaults().withSubprotocols("chat.v2", "chat"), "/ws",
                WebSocketConfig.defaults().withSubprotocols("chat", "chat.v2"), ws -> ws.close(1000, "").map(v -> ws.subprotocol()));
        assertEquals("chat.v2", chosen);
        String none = withSocket(WebSocketConfig.defaults().withSubprotocols("chat"), "/ws",
                WebSocketConfig.defaults().withSubprotocols("other"), ws -> ws.close(1000, "").map(v -> String.valueOf(ws.subprotocol())));
        assertEquals("null", none);
        String notFound = async(() -> {
            FakeNet net = new FakeNet();
            HttpServer server = new HttpServer(routes(WebSocketConfig.defaults()), HttpServerConfig.defaults());
            SocketAddress addr = server.listen(net, SocketAddress.of("127.0.0.1", 0), ListenOptions.defaults());
            return WebSocketClient.connect(net, addr, "/nowhere", WebSocketConfig.defaults())
                    .handle((ws, e) -> e instanceof WebSocketClient.HandshakeException h ? "refused " + h.status() : "?" + e)
                    .finallyDoAsync(server::stop);
        });
        assertEquals("refused 404", notFound);
        // A server that answers 101 with the wrong accept value.
        String wrong = async(() -> {
            FakeNet net = new FakeNet();
            var l = net.listen(SocketAddress.of("127.0.0.1", 0), ListenOptions.defaults());
            l.accept().flatMap(a -> Raw.readUntil(a.socket(), t -> t.contains("\r\n\r\n")).flatMap(t -> a.socket().output().write(
                    Buffer.copyOf("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")))).ignoreFailure();
            return WebSocketClient.connect(net, l.localAddress(), "/", WebSocketConfig.defaults())
                    .handle((ws, e) -> e.getMessage());
        });
        assertEquals("wrong Sec-WebSocket-Accept", wrong);
    }
}
