package io.percore.http;

/**
 * One shard's server counters, plain fields its connections increment (no atomics: only that shard writes them).
 * Read them on the shard, or gather all shards' with {@code Sharded.mapReduce} and {@link #plus}.
 */
public final class HttpServerStats {
    long requests;
    long bytesReceived;
    long bytesSent;
    long connectionsOpened;
    long connectionsOpen;
    long errors;

    /** A zeroed set of counters. */
    public HttpServerStats() {}

    private HttpServerStats(long requests, long bytesReceived, long bytesSent, long opened, long open, long errors) {
        this.requests = requests;
        this.bytesReceived = bytesReceived;
        this.bytesSent = bytesSent;
        this.connectionsOpened = opened;
        this.connectionsOpen = open;
        this.errors = errors;
    }

    /** @return requests whose head was parsed (refused ones included). */
    public long requests() {
        return requests;
    }

    /** @return bytes read from connections. */
    public long bytesReceived() {
        return bytesReceived;
    }

    /** @return bytes handed to connections for sending. */
    public long bytesSent() {
        return bytesSent;
    }

    /** @return connections accepted since start. */
    public long connectionsOpened() {
        return connectionsOpened;
    }

    /** @return connections open now. */
    public long connectionsOpen() {
        return connectionsOpen;
    }

    /** @return requests refused as malformed or over a limit, handler failures (500), and connection errors. */
    public long errors() {
        return errors;
    }

    /** @return a copy (to send to another shard). */
    public HttpServerStats snapshot() {
        return new HttpServerStats(requests, bytesReceived, bytesSent, connectionsOpened, connectionsOpen, errors);
    }

    /** @return the sum of two snapshots. */
    public HttpServerStats plus(HttpServerStats o) {
        return new HttpServerStats(requests + o.requests, bytesReceived + o.bytesReceived, bytesSent + o.bytesSent,
                connectionsOpened + o.connectionsOpened, connectionsOpen + o.connectionsOpen, errors + o.errors);
    }

    @Override
    public String toString() {
        return "requests " + requests + ", received " + bytesReceived + " B, sent " + bytesSent + " B, connections "
                + connectionsOpen + " open / " + connectionsOpened + " opened, errors " + errors;
    }
}
