package io.percore.http;

import io.percore.memory.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A response a handler returns: a status, header fields, and one kind of body — bytes held in memory, a
 * {@link Buffer} (zero copy), a streamed body written by a {@link BodyProducer} with back-pressure, or an
 * {@link Upgrade} that takes the connection over after {@code 101}. The server adds {@code Date},
 * {@code Server}, {@code Content-Length} or {@code Transfer-Encoding: chunked}, and {@code Connection} as needed;
 * for {@code HEAD} it sends the head alone. Build it on the shard that answers; it is used once.
 */
public final class Response {
    int status;
    String contentType;
    HttpHeaders headers;
    byte[] bytes;
    Buffer buffer;
    BodyProducer producer;
    long streamLength = -1;
    Upgrade upgrade;
    boolean close;

    private Response(int status) {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status out of range: " + status);
        }
        this.status = status;
    }

    /** @return a response with {@code status} and no body. */
    public static Response status(int status) {
        return new Response(status);
    }

    /** @return 200 with {@code text} as {@code text/plain; charset=utf-8}. */
    public static Response text(String text) {
        return text(HttpStatus.OK, text);
    }

    /** @return {@code status} with {@code text} as {@code text/plain; charset=utf-8}. */
    public static Response text(int status, String text) {
        return bytes(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
    }

    /** @return 200 with {@code json} (already encoded) as {@code application/json}. */
    public static Response json(String json) {
        return bytes(HttpStatus.OK, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param body sent as is and not copied until written; it must not change afterwards (a constant body may be
     *             shared by every response)
     * @return {@code status} with {@code body} of {@code contentType}
     */
    public static Response bytes(int status, String contentType, byte[] body) {
        Response r = new Response(status);
        r.contentType = contentType;
        r.bytes = Objects.requireNonNull(body);
        return r;
    }

    /** @return {@code status} with {@code body} (ownership passes to the response; sent without copying). */
    public static Response buffer(int status, String contentType, Buffer body) {
        Response r = new Response(status);
        r.contentType = contentType;
        r.buffer = Objects.requireNonNull(body);
        return r;
    }

    /**
     * @param length the body's length when known (sent as Content-Length, and the producer must write exactly
     *               that much); -1 for chunked coding (or, to an HTTP/1.0 client, a body ended by closing)
     * @return {@code status} with a body the producer writes as the client takes it
     */
    public static Response stream(int status, String contentType, long length, BodyProducer producer) {
        Response r = new Response(status);
        r.contentType = contentType;
        r.streamLength = length < 0 ? -1 : length;
        r.producer = Objects.requireNonNull(producer);
        return r;
    }

    /**
     * @param headers the 101 response's fields (Upgrade, Connection: Upgrade, and the protocol's own)
     * @return a {@code 101 Switching Protocols} response after which {@code upgrade} owns the connection
     */
    public static Response upgrade(HttpHeaders headers, Upgrade upgrade) {
        Response r = new Response(HttpStatus.SWITCHING_PROTOCOLS);
        r.headers = headers;
        r.upgrade = Objects.requireNonNull(upgrade);
        return r;
    }

    /** Adds a header field. @return this */
    public Response header(String name, String value) {
        if (headers == null) {
            headers = new HttpHeaders();
        }
        headers.add(name, value);
        return this;
    }

    /** Sets the Content-Type. @return this */
    public Response contentType(String type) {
        HttpHeaders.checkValue(type);
        this.contentType = type;
        return this;
    }

    /** Closes the connection after this response ({@code Connection: close}). @return this */
    public Response closeConnection() {
        this.close = true;
        return this;
    }

    /** @return the status code. */
    public int statusCode() {
        return status;
    }

    /** @return the header fields added with {@link #header} (empty when none). */
    public Headers headers() {
        return headers == null ? new HttpHeaders() : headers;
    }

    /** @return the content type, or null. */
    public String contentType() {
        return contentType;
    }

    /** Releases a buffer body that will not be sent (the response was dropped). */
    void discard() {
        if (buffer != null) {
            buffer.release();
            buffer = null;
        }
    }

    /** @return the length of an in-memory body, -1 for a streamed one. */
    long fixedLength() {
        if (bytes != null) {
            return bytes.length;
        }
        if (buffer != null) {
            return buffer.length();
        }
        if (producer != null) {
            return streamLength;
        }
        return 0;
    }

    @Override
    public String toString() {
        return "Response[" + status + "]";
    }
}
