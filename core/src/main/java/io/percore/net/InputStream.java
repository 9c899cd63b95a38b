package io.percore.net;

import io.percore.core.Future;
import io.percore.memory.Buffer;

/** The receiving side of a connection. One read may be pending at a time. Shard thread only. */
public interface InputStream {
    /**
     * @return the next bytes as they arrive (the caller owns and releases the buffer); an empty buffer at end
     * of stream; fails with a {@link NetException} on a reset or error
     */
    Future<Buffer> read();

    /** Stops reading; a pending read returns end of stream. */
    Future<Void> close();
}
