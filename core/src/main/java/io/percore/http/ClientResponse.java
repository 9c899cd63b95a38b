package io.percore.http;

import io.percore.core.Future;
import io.percore.memory.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * A response received by {@link HttpClient}: status, header fields, and the body as a {@link BodyReader} read from
 * the connection as it arrives. The connection goes back to the client's pool once the body has been read to its
 * end; a response whose body will not be read must be {@link #discard() discarded}. Owning shard thread only.
 */
public final class ClientResponse {
    private final int status;
    private final String reason;
    private final int versionMinor;
    private final HttpHeaders headers;
    private final BodyReader body;
    private final Runnable abandon;

    ClientResponse(int status, String reason, int versionMinor, HttpHeaders headers, BodyReader body, Runnable abandon) {
        this.status = status;
        this.reason = reason;
        this.versionMinor = versionMinor;
        this.headers = headers;
        this.body = body;
        this.abandon = abandon;
    }

    /** @return the status code. */
    public int status() {
        return status;
    }

    /** @return the reason phrase as sent. */
    public String reason() {
        return reason;
    }

    /** @return "HTTP/1.1" or "HTTP/1.0". */
    public String version() {
        return versionMinor == 0 ? "HTTP/1.0" : "HTTP/1.1";
    }

    /** @return the header fields. */
    public Headers headers() {
        return headers;
    }

    /** @return the first value of header {@code name}, or null. */
    public String header(String name) {
        return headers.get(name);
    }

    /** @return the body, read as it arrives. */
    public BodyReader body() {
        return body;
    }

    /** @return the whole body (at most {@code maxBytes}, else 413) as one buffer the caller releases. */
    public Future<Buffer> content(long maxBytes) {
        return body.readAll(maxBytes);
    }

    /** @return the whole body decoded as UTF-8 (at most 16 MiB). */
    public Future<String> text() {
        return body.readAll(16L << 20).map(b -> {
            try {
                return b.toString(StandardCharsets.UTF_8);
            } finally {
                b.release();
            }
        });
    }

    /** Gives up on the body: the connection is closed rather than reused (unless the body was already read). */
    public void discard() {
        abandon.run();
    }

    @Override
    public String toString() {
        return version() + " " + status + " " + reason;
    }
}
