package io.percore.http;

import io.percore.core.Future;
import io.percore.memory.Buffer;

/**
 * Where a streamed body goes: each write's future resolves once the bytes are queued for the network, and stays
 * pending while the send queue is full, so a producer that waits for each write runs at the peer's pace. The
 * framing (Content-Length or chunked) is the writer's business. Owning shard thread only.
 */
public interface BodyWriter {
    /** Writes {@code data}, taking ownership of it (it is released once sent). */
    Future<Void> write(Buffer data);

    /** Writes {@code text} as UTF-8. */
    default Future<Void> write(String text) {
        return write(Buffer.copyOf(text));
    }
}
