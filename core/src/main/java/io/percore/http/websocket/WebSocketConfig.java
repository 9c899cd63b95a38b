package io.percore.http.websocket;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Limits and timeouts of a websocket endpoint.
 *
 * @param maxMessageSize   bytes in one message (all its fragments) or one frame; more closes with 1009
 * @param closeTimeout     after sending a close frame, how long to wait for the peer's before closing the socket
 * @param handshakeTimeout how long a client waits for the server's 101
 * @param subprotocols     a server's supported subprotocols in order of preference; a client's offer, in order
 */
public record WebSocketConfig(long maxMessageSize, Duration closeTimeout, Duration handshakeTimeout, List<String> subprotocols) {
    public WebSocketConfig {
        if (maxMessageSize < 0) {
            throw new IllegalArgumentException("maxMessageSize must not be negative");
        }
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        subprotocols = List.copyOf(subprotocols);
    }

    /** @return 16 MiB messages, 5 s close and handshake timeouts, no subprotocols. */
    public static WebSocketConfig defaults() {
        return new WebSocketConfig(16L << 20, Duration.ofSeconds(5), Duration.ofSeconds(10), List.of());
    }

    public WebSocketConfig withMaxMessageSize(long bytes) {
        return new WebSocketConfig(bytes, closeTimeout, handshakeTimeout, subprotocols);
    }

    public WebSocketConfig withSubprotocols(String... names) {
        return new WebSocketConfig(maxMessageSize, closeTimeout, handshakeTimeout, List.of(names));
    }

    public WebSocketConfig withCloseTimeout(Duration d) {
        return new WebSocketConfig(maxMessageSize, d, handshakeTimeout, subprotocols);
    }
}
