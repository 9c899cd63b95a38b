package io.percore.http;

import io.percore.memory.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A request for {@link HttpClient}: method, target (path and query, as sent), header fields, and an optional
 * body — bytes, a {@link Buffer}, or a {@link BodyProducer} (with a length, or chunked). The client adds
 * {@code Host} (from the address, unless set here), {@code Content-Length} or {@code Transfer-Encoding}. Used once;
 * build it on the shard that sends it.
 */
public final class ClientRequest {
    final String method;
    final String target;
    final HttpHeaders headers = new HttpHeaders();
    byte[] bytes;
    Buffer buffer;
    BodyProducer producer;
    long producerLength = -1;

    private ClientRequest(String method, String target) {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(target, "target");
        for (int i = 0; i < method.length(); i++) {
            if (method.charAt(i) > 127 || !HttpChars.isTchar((byte) method.charAt(i))) {
                throw new IllegalArgumentException("method is not a token: " + method);
            }
        }
        if (target.isEmpty()) {
            throw new IllegalArgumentException("empty request target");
        }
        for (int i = 0; i < target.length(); i++) {
            if (target.charAt(i) > 127 || !HttpChars.isTargetChar((byte) target.charAt(i))) {
                throw new IllegalArgumentException("request target holds a character that must be percent-encoded at " + i);
            }
        }
        this.method = method;
        this.target = target;
    }

    /** @return a request of {@code method} for {@code target} ("/path?query", percent-encoded), without a body. */
    public static ClientRequest of(String method, String target) {
        return new ClientRequest(method, target);
    }

    /** @return a GET of {@code target}. */
    public static ClientRequest get(String target) {
        return new ClientRequest("GET", target);
    }

    /** Adds a header field. @return this */
    public ClientRequest header(String name, String value) {
        headers.add(name, value);
        return this;
    }

    /** Sets the body to {@code body} (sent as is, not copied until written). @return this */
    public ClientRequest body(byte[] body) {
        clearBody();
        this.bytes = Objects.requireNonNull(body);
        return this;
    }

    /** Sets the body to {@code text} in UTF-8. @return this */
    public ClientRequest body(String text) {
        return body(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Sets the body to {@code body}, whose ownership passes to the request. @return this */
    public ClientRequest body(Buffer body) {
        clearBody();
        this.buffer = Objects.requireNonNull(body);
        return this;
    }

    /** Sets a streamed body: {@code length} bytes, or chunked when -1. @return this */
    public ClientRequest body(long length, BodyProducer producer) {
        clearBody();
        this.producer = Objects.requireNonNull(producer);
        this.producerLength = length < 0 ? -1 : length;
        return this;
    }

    private void clearBody() {
        if (buffer != null) {
            buffer.release();
        }
        bytes = null;
        buffer = null;
        producer = null;
        producerLength = -1;
    }

    /** Releases a buffer body once the request is answered or has failed for good. */
    void dropBody() {
        if (buffer != null) {
            buffer.release();
            buffer = null;
        }
    }

    /** @return the method. */
    public String method() {
        return method;
    }

    /** @return the target as sent. */
    public String target() {
        return target;
    }

    /** @return true when resending after a connection failure cannot do harm (RFC 9110 §9.2.2) and the body can be sent again. */
    boolean isRetryable() {
        boolean idempotent = switch (method) {
            case "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE" -> true;
            default -> false;
        };
        return idempotent && producer == null;
    }
}
