package io.percore.http.websocket;

import io.percore.core.Future;
import io.percore.http.ClientRequest;
import io.percore.http.HttpClient;
import io.percore.http.HttpClientConfig;
import io.percore.net.NetworkStack;
import io.percore.net.SocketAddress;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.TimeoutException;

/**
 * The client side of the opening handshake (RFC 6455 §4.1): sends the upgrade request with a fresh random key,
 * version 13 and the offered subprotocols, and checks the answer — status 101, {@code Upgrade: websocket},
 * {@code Connection: Upgrade}, the right {@code Sec-WebSocket-Accept}, and a subprotocol only from those offered —
 * before handing back the open {@link WebSocket}. Shard thread only.
 */
public final class WebSocketClient {
    private static final SecureRandom KEYS = new SecureRandom();

    private WebSocketClient() {}

    /** The server refused or botched the handshake. */
    public static final class HandshakeException extends RuntimeException {
        private final int status;

        HandshakeException(int status, String message) {
            super(message);
            this.status = status;
        }

        /** @return the HTTP status the server answered with. */
        public int status() {
            return status;
        }
    }

    /**
     * Opens a websocket to {@code target} ("/ws") at {@code address} over {@code stack}.
     *
     * @param config limits, timeouts, and the subprotocols to offer (in order of preference)
     * @return the open websocket; fails with {@link HandshakeException}, a network exception, or
     * {@link io.percore.net.NetException.TimedOut} after the handshake timeout
     */
    public static Future<WebSocket> connect(NetworkStack stack, SocketAddress address, String target, WebSocketConfig config) {
        byte[] nonce = new byte[16];
        KEYS.nextBytes(nonce);
        String key = Base64.getEncoder().encodeToString(nonce);
        ClientRequest req = ClientRequest.get(target)
                .header("Upgrade", "websocket")
                .header("Connection", "Upgrade")
                .header("Sec-WebSocket-Key", key)
                .header("Sec-WebSocket-Version", "13");
        if (!config.subprotocols().isEmpty()) {
            req.header("Sec-WebSocket-Protocol", String.join(", ", config.subprotocols()));
        }
        HttpClient http = new HttpClient(stack, HttpClientConfig.defaults().withRequestTimeout(config.handshakeTimeout())
                .withConnectTimeout(config.handshakeTimeout()).withMaxIdlePerHost(0));
        return http.upgrade(address, req).flatMap(up -> {
            var resp = up.response();
            if (up.socket() == null) {
                return resp.text().handle((t, e) -> {
                    throw new HandshakeException(resp.status(), "server answered " + resp.status() + " " + resp.reason()
                            + " instead of 101" + (t == null || t.isBlank() ? "" : ": " + t.strip()));
                });
            }
            String problem = null;
            if (!resp.headers().containsToken("Upgrade", "websocket")) {
                problem = "101 without Upgrade: websocket";
            } else if (!resp.headers().containsToken("Connection", "upgrade")) {
                problem = "101 without Connection: Upgrade";
            } else if (!Handshake.accept(key).equals(resp.header("Sec-WebSocket-Accept"))) {
                problem = "wrong Sec-WebSocket-Accept";
            } else if (resp.header("Sec-WebSocket-Extensions") != null) {
                problem = "server chose an extension that was not offered";
            }
            String protocol = resp.header("Sec-WebSocket-Protocol");
            if (problem == null && protocol != null && !config.subprotocols().contains(protocol.strip())) {
                problem = "server chose subprotocol '" + protocol + "' that was not offered";
            }
            if (problem != null) {
                up.received().release();
                up.socket().close().ignoreFailure();
                return Future.failed(new HandshakeException(101, problem));
            }
            return Future.ready(new WebSocket(up.socket(), up.received(), true, true, config,
                    protocol == null ? null : protocol.strip()));
        }).recoverWith(e -> Future.failed(e instanceof TimeoutException
                ? new io.percore.net.NetException.TimedOut("websocket handshake", 0, address, e) : e));
    }
}
