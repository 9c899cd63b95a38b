package io.percore.http;

import io.percore.core.Future;
import io.percore.core.LowresClock;
import io.percore.core.Shard;
import io.percore.net.ConnectedSocket;
import io.percore.net.NetException;
import io.percore.net.NetworkStack;
import io.percore.net.SocketAddress;
import io.percore.smp.Service;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeoutException;

/**
 * An HTTP/1.1 client on one shard's network stack, with a pool of keep-alive connections per address. One request
 * per connection at a time; a request finds an idle pooled connection or opens a new one, and the connection goes
 * back to the pool when the response body has been read to its end (and neither side said close). Bodies are
 * sent and received with Content-Length or chunked coding (trailers are read and dropped), or until the server
 * closes. Timeouts: opening a connection ({@code connectTimeout}) and waiting for the response head
 * ({@code requestTimeout}), each failing with {@link NetException.TimedOut}. A pooled connection the server closed
 * while it was idle is detected on reuse (end of stream before any response byte) and an idempotent request is
 * sent again on a fresh connection.
 *
 * <p>Not for crossing shards: make one per shard ({@code Sharded<HttpClient>} works: it is a {@link Service}).
 * Shard thread only.
 */
public final class HttpClient implements Service {
    final NetworkStack stack;
    final HttpClientConfig config;
    private final Map<SocketAddress, ArrayDeque<ClientConnection>> idle = new HashMap<>();
    private final List<ClientConnection> all = new ArrayList<>();
    private boolean closed;
    long connectionsOpened;

    /** A malformed or unexpected response: the connection it came on is closed. */
    public static final class MalformedResponse extends RuntimeException {
        MalformedResponse(String message) {
            super(message);
        }
    }

    /** Thrown inside when a reused connection turned out closed before answering; the request may be resent. */
    static final class StaleConnection extends RuntimeException {
        StaleConnection(Throwable cause) {
            super("pooled connection was closed by the server", cause, false, false);
        }
    }

    /**
     * @param stack this shard's network stack
     * @throws IllegalStateException off a shard thread
     */
    public HttpClient(NetworkStack stack, HttpClientConfig config) {
        if (Shard.current() == null) {
            throw new IllegalStateException("an HttpClient belongs to a shard: create it on a shard thread");
        }
        this.stack = Objects.requireNonNull(stack, "stack");
        this.config = Objects.requireNonNull(config, "config");
    }

    /** @return the response to {@code GET target} from {@code to}. */
    public Future<ClientResponse> get(SocketAddress to, String target) {
        return send(to, ClientRequest.get(target));
    }

    /**
     * Sends {@code request} to {@code to}.
     *
     * @return the response once its head has arrived; its body is read through {@link ClientResponse#body()}. Fails
     * with a {@link NetException} (refused, reset, timed out) or {@link MalformedResponse}.
     */
    public Future<ClientResponse> send(SocketAddress to, ClientRequest request) {
        if (closed) {
            return Future.failed(new IllegalStateException("HTTP client is closed"));
        }
        ClientConnection pooled = takeIdle(to);
        Future<ClientResponse> first = pooled != null ? pooled.exchange(request)
                : open(to).flatMap(c -> c.exchange(request));
        return first.recoverWith(e -> {
            if (e instanceof StaleConnection && request.isRetryable() && !closed) {
                return open(to).flatMap(c -> c.exchange(request));
            }
            request.dropBody();
            return Future.failed(e instanceof StaleConnection ? e.getCause() : e);
        }).map(r -> {
            request.dropBody();
            return r;
        });
    }

    /**
     * The outcome of {@link #upgrade}: the response, and for a {@code 101} the connection with the bytes already
     * received after the head (owned by the caller, who closes the socket); otherwise socket and bytes are null and
     * the response's body is read as usual.
     */
    public record Upgraded(ClientResponse response, ConnectedSocket socket, io.percore.memory.Buffer received) {}

    /**
     * Sends {@code request} (which carries Upgrade and Connection: upgrade) on a new connection.
     *
     * @return the response; on {@code 101 Switching Protocols} with the connection handed over
     */
    public Future<Upgraded> upgrade(SocketAddress to, ClientRequest request) {
        if (closed) {
            return Future.failed(new IllegalStateException("HTTP client is closed"));
        }
        return open(to).flatMap(c -> c.upgrade(request).map(resp -> c.takenOver != null ? c.takenOver
                : new Upgraded(resp, null, null))).finallyDo(request::dropBody);
    }

    /** @return the response to {@code request} with its whole body read (at most {@code maxBytes}) as text. */
    public Future<String> fetchText(SocketAddress to, ClientRequest request) {
        return send(to, request).flatMap(ClientResponse::text);
    }

    private Future<ClientConnection> open(SocketAddress to) {
        Future<ConnectedSocket> connecting = stack.connect(to).withTimeout(config.connectTimeout());
        return connecting.handle((socket, e) -> {
            if (e instanceof TimeoutException) {
                throw new NetException.TimedOut("connect", 0, to, e);
            }
            if (e != null) {
                throw e instanceof RuntimeException re ? re : new NetException("connect failed", 0, to, e);
            }
            if (closed) {
                socket.close().ignoreFailure();
                throw new IllegalStateException("HTTP client is closed");
            }
            connectionsOpened++;
            ClientConnection c = new ClientConnection(this, socket, to);
            all.add(c);
            return c;
        });
    }

    private ClientConnection takeIdle(SocketAddress to) {
        ArrayDeque<ClientConnection> q = idle.get(to);
        long now = LowresClock.nanos();
        while (q != null && !q.isEmpty()) {
            ClientConnection c = q.pollLast(); // the most recently used is the least likely to have been closed
            if (now - c.idleSince > config.idleTimeout().toNanos()) {
                c.close();
                continue;
            }
            return c;
        }
        return null;
    }

    /** A connection finished an exchange and may be reused. */
    void release(ClientConnection c) {
        if (closed) {
            c.close();
            return;
        }
        ArrayDeque<ClientConnection> q = idle.computeIfAbsent(c.address, k -> new ArrayDeque<>());
        if (q.size() >= config.maxIdlePerHost()) {
            c.close();
            return;
        }
        c.idleSince = LowresClock.nanos();
        q.addLast(c);
    }

    /** A connection closed. */
    void closed(ClientConnection c) {
        all.remove(c);
        ArrayDeque<ClientConnection> q = idle.get(c.address);
        if (q != null) {
            q.remove(c);
        }
    }

    /** @return the number of idle pooled connections to {@code to}. */
    public int idleConnections(SocketAddress to) {
        ArrayDeque<ClientConnection> q = idle.get(to);
        return q == null ? 0 : q.size();
    }

    /** @return connections opened since the client was made. */
    public long connectionsOpened() {
        return connectionsOpened;
    }

    /** Closes every connection (exchanges in progress fail) and refuses new requests. */
    @Override
    public Future<Void> stop() {
        closed = true;
        for (ClientConnection c : List.copyOf(all)) {
            c.close();
        }
        idle.clear();
        return Future.done();
    }
}
