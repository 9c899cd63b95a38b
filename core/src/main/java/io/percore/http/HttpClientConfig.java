package io.percore.http;

import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link HttpClient} behaves.
 *
 * @param limits          what a response may hold (its head and body sizes)
 * @param connectTimeout  how long a connection may take to open
 * @param requestTimeout  from sending a request until the response head has arrived
 * @param maxIdlePerHost  idle keep-alive connections kept per address
 * @param idleTimeout     an idle pooled connection older than this is closed instead of reused
 * @param userAgent       the {@code User-Agent} value, or null for none
 */
public record HttpClientConfig(HttpLimits limits, Duration connectTimeout, Duration requestTimeout,
                               int maxIdlePerHost, Duration idleTimeout, String userAgent) {
    public HttpClientConfig {
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (maxIdlePerHost < 0) {
            throw new IllegalArgumentException("maxIdlePerHost must not be negative");
        }
        if (userAgent != null) {
            HttpHeaders.checkValue(userAgent);
        }
    }

    /** @return default limits with a 1 GiB body, 5 s connect, 30 s request, 16 idle per host, 30 s idle, "percore". */
    public static HttpClientConfig defaults() {
        return new HttpClientConfig(HttpLimits.defaults().withMaxBodyBytes(1L << 30), Duration.ofSeconds(5),
                Duration.ofSeconds(30), 16, Duration.ofSeconds(30), "percore");
    }

    public HttpClientConfig withRequestTimeout(Duration d) {
        return new HttpClientConfig(limits, connectTimeout, d, maxIdlePerHost, idleTimeout, userAgent);
    }

    public HttpClientConfig withConnectTimeout(Duration d) {
        return new HttpClientConfig(limits, d, requestTimeout, maxIdlePerHost, idleTimeout, userAgent);
    }

    public HttpClientConfig withMaxIdlePerHost(int n) {
        return new HttpClientConfig(limits, connectTimeout, requestTimeout, n, idleTimeout, userAgent);
    }

    public HttpClientConfig withLimits(HttpLimits l) {
        return new HttpClientConfig(l, connectTimeout, requestTimeout, maxIdlePerHost, idleTimeout, userAgent);
    }
}
