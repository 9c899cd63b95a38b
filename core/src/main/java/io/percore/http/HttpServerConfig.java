package io.percore.http;

import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link HttpServer} treats its connections.
 *
 * @param limits           what a request may hold (see {@link HttpLimits} for the statuses)
 * @param serverName       the {@code Server} field's value, or null to send none
 * @param idleTimeout      a keep-alive connection with no request for this long is closed
 * @param headTimeout      a request head that takes longer than this to arrive is answered 408 and closed
 * @param stopGrace        on stop, how long requests in flight may take before their connections are closed
 * @param drainLimit       request body bytes the server reads and drops after a response to keep the connection
 *                         (a handler that did not read its body); more, and the connection is closed instead
 */
public record HttpServerConfig(HttpLimits limits, String serverName, Duration idleTimeout, Duration headTimeout,
                               Duration stopGrace, long drainLimit) {
    public HttpServerConfig {
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(headTimeout, "headTimeout");
        Objects.requireNonNull(stopGrace, "stopGrace");
        if (serverName != null) {
            HttpHeaders.checkValue(serverName);
        }
        if (drainLimit < 0) {
            throw new IllegalArgumentException("drain limit must not be negative");
        }
    }

    /** @return default limits, "percore", 60 s idle, 30 s head, 5 s stop grace, 256 KiB drain. */
    public static HttpServerConfig defaults() {
        return new HttpServerConfig(HttpLimits.defaults(), "percore", Duration.ofSeconds(60), Duration.ofSeconds(30),
                Duration.ofSeconds(5), 256 << 10);
    }

    public HttpServerConfig withLimits(HttpLimits l) {
        return new HttpServerConfig(l, serverName, idleTimeout, headTimeout, stopGrace, drainLimit);
    }

    public HttpServerConfig withIdleTimeout(Duration d) {
        return new HttpServerConfig(limits, serverName, d, headTimeout, stopGrace, drainLimit);
    }

    public HttpServerConfig withHeadTimeout(Duration d) {
        return new HttpServerConfig(limits, serverName, idleTimeout, d, stopGrace, drainLimit);
    }

    public HttpServerConfig withStopGrace(Duration d) {
        return new HttpServerConfig(limits, serverName, idleTimeout, headTimeout, d, drainLimit);
    }

    public HttpServerConfig withServerName(String name) {
        return new HttpServerConfig(limits, name, idleTimeout, headTimeout, stopGrace, drainLimit);
    }
}
