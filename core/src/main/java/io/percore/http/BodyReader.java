package io.percore.http;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import java.nio.charset.StandardCharsets;

/**
 * A message body read as it arrives, with back-pressure: the connection reads from the network only when
 * {@link #read()} asks for more, so a slow consumer slows the sender down instead of filling memory. Chunked
 * framing is already removed. Owning shard thread only; one read pending at a time.
 */
public abstract class BodyReader {
    /** For subclasses in this package. */
    BodyReader() {}

    /**
     * @return the next bytes of the body, owned by the caller (release them); the empty buffer at the end. Fails
     * with {@link HttpException} (400 malformed framing, 413 over the limit) or the network's exception.
     */
    public abstract Future<Buffer> read();

    /** @return true once the end of the body was read. */
    public abstract boolean isDone();

    /**
     * Reads the rest of the body into one buffer.
     *
     * @param maxBytes the most to accept; more fails with {@link HttpException} 413
     * @return the whole body (the caller releases it); the empty buffer for none
     */
    public Future<Buffer> readAll(long maxBytes) {
        Packet parts = Packet.empty();
        return Futures.repeat(() -> read().map(piece -> {
            if (piece.isEmpty()) {
                return true;
            }
            parts.append(piece);
            if (parts.length() > maxBytes) {
                throw new HttpException(HttpStatus.CONTENT_TOO_LARGE, "body longer than " + maxBytes + " bytes");
            }
            return false;
        })).map(v -> {
            Buffer all = parts.linearize();
            parts.release();
            return all;
        }).recoverWith(e -> {
            parts.release();
            return Future.failed(e);
        });
    }

    /** @return the rest of the body decoded as UTF-8, at most {@code maxBytes} bytes (else 413). */
    public Future<String> readString(long maxBytes) {
        return readAll(maxBytes).map(b -> {
            try {
                return b.toString(StandardCharsets.UTF_8);
            } finally {
                b.release();
            }
        });
    }

    /** Reads and drops the rest of the body. @return done at its end */
    public Future<Void> discard() {
        return Futures.repeat(() -> read().map(piece -> {
            boolean end = piece.isEmpty();
            piece.release();
            return end;
        }));
    }

    /** The body of a message that has none. */
    static final BodyReader NONE = new BodyReader() {
        @Override
        public Future<Buffer> read() {
            return Future.ready(Buffer.empty());
        }

        @Override
        public boolean isDone() {
            return true;
        }
    };
}
