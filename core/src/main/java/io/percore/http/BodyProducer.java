package io.percore.http;

import io.percore.core.Future;

/**
 * Writes a streamed response or request body: called once with the writer, it returns a future that resolves when
 * the whole body was written (a failed future aborts the message, and the connection is closed, since the peer
 * cannot tell a cut body from a whole one otherwise). Runs on the connection's shard.
 */
@FunctionalInterface
public interface BodyProducer {
    /** @return done when the last byte was written to {@code out} */
    Future<Void> writeTo(BodyWriter out);
}
