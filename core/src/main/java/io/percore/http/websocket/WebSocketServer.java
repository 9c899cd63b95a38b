package io.percore.http.websocket;

import io.percore.core.Future;
import io.percore.core.sync.AbortSource;
import io.percore.http.Handler;
import io.percore.http.Headers;
import io.percore.http.HttpHeaders;
import io.percore.http.HttpStatus;
import io.percore.http.Request;
import io.percore.http.Response;
import java.util.Objects;
import java.util.function.Function;

/**
 * The server side of the opening handshake (RFC 6455 §4.2), as a {@link Handler} to route on a path: it checks the
 * request (GET, HTTP/1.1, {@code Upgrade: websocket}, {@code Connection: Upgrade}, a 16-byte key, version 13 —
 * another version is answered 426 with {@code Sec-WebSocket-Version: 13}, anything else missing 400), chooses the
 * first of the server's subprotocols the client offered, answers 101 with {@code Sec-WebSocket-Accept}, and runs
 * the session function on the new {@link WebSocket}. When that function's future completes the websocket is closed
 * (1000) if it is still open; when the HTTP server stops, open sessions are closed with 1001.
 *
 * <pre>{@code
 * router.get("/ws", WebSocketServer.handler(WebSocketConfig.defaults(), ws -> Async.run(() -> {
 *     for (WebSocketMessage m; !(m = Async.await(ws.receive())).isClose(); ) {
 *         Async.await(m.type() == WebSocketMessage.Type.TEXT ? ws.sendText(m.text()) : ws.sendBinary(m.data().share()));
 *         m.data().release();
 *     }
 *     return null;
 * })));
 * }</pre>
 */
public final class WebSocketServer {
    private WebSocketServer() {}

    /**
     * @param session runs on the connection's shard with the open websocket; its future's end ends the session
     * @return a handler performing the handshake
     */
    public static Handler handler(WebSocketConfig config, Function<WebSocket, Future<?>> session) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(session, "session");
        return request -> Future.ready(answer(request, config, session));
    }

    static Response answer(Request request, WebSocketConfig config, Function<WebSocket, Future<?>> session) {
        Headers h = request.headers();
        if (!request.method().equals("GET") || request.versionMinor() != 1) {
            return Response.text(HttpStatus.BAD_REQUEST, "a websocket handshake is an HTTP/1.1 GET\n");
        }
        if (!h.containsToken("Upgrade", "websocket") || !h.containsToken("Connection", "upgrade")) {
            return Response.text(HttpStatus.UPGRADE_REQUIRED, "this resource speaks websocket\n")
                    .header("Upgrade", "websocket").header("Connection", "Upgrade");
        }
        String version = h.get("Sec-WebSocket-Version");
        if (version == null || !version.strip().equals("13")) {
            return Response.text(HttpStatus.UPGRADE_REQUIRED, "websocket version 13 only\n").header("Sec-WebSocket-Version", "13");
        }
        String key = h.get("Sec-WebSocket-Key");
        if (h.getAll("Sec-WebSocket-Key").size() != 1 || !Handshake.isValidKey(key.strip())) {
            return Response.text(HttpStatus.BAD_REQUEST, "missing or malformed Sec-WebSocket-Key\n");
        }
        String chosen = null;
        for (String mine : config.subprotocols()) {
            if (h.containsToken("Sec-WebSocket-Protocol", mine)) {
                chosen = mine;
                break;
            }
        }
        HttpHeaders out = HttpHeaders.of("Upgrade", "websocket", "Connection", "Upgrade",
                "Sec-WebSocket-Accept", Handshake.accept(key.strip()));
        if (chosen != null) {
            out.add("Sec-WebSocket-Protocol", chosen);
        }
        String protocol = chosen;
        return Response.upgrade(out, (socket, received, serverStop) -> {
            WebSocket ws = new WebSocket(socket, received, false, false, config, protocol);
            AbortSource.Subscription onStop = serverStop.subscribe(() -> ws.close(CloseCodes.GOING_AWAY, "server stopping").ignoreFailure());
            Future<?> running = Future.of(() -> {
                @SuppressWarnings("unchecked")
                Future<Object> f = (Future<Object>) session.apply(ws);
                return f;
            });
            return running.handle((v, e) -> {
                if (ws.isOpen()) {
                    ws.close(e == null ? CloseCodes.NORMAL : CloseCodes.INTERNAL_ERROR, "").ignoreFailure();
                }
                return null;
            }).then(ws::closed).finallyDo(onStop::unsubscribe);
        });
    }
}
