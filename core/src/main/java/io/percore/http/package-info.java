/**
 * HTTP/1.1 on percore's network stack: a server, a client, and (in {@code http.websocket}) RFC 6455.
 *
 * <h2>The server</h2>
 * An {@link io.percore.http.HttpServer} belongs to one shard; {@link io.percore.http.HttpServer#startOnAllShards}
 * runs one per shard on one port, and the network stack spreads connections over them, so requests are served
 * where they arrive and nothing is shared. Each connection reads requests with the incremental
 * {@code RequestParser}, runs the {@link io.percore.http.Handler} (usually a {@link io.percore.http.Router}) for
 * one request at a time — pipelined requests are answered in order, and responses produced while more requests are
 * already received leave in one system call — and decides after each response whether the connection lives on
 * (HTTP/1.1 keep-alive, {@code Connection: close}, HTTP/1.0 rules).
 *
 * <h2>The parser, and why it is shaped as it is</h2>
 * Input arrives in buffers of any size. A head scanner finds the end of the head as bytes arrive, keeping its
 * place between reads and checking the limits as it goes (414 for a long request line, 431 for a long head), and
 * hands back the whole head as one buffer: a share of the received buffer in the common case (no copy), a copy only
 * when the head crossed a read boundary. The head is then parsed in one pass; header fields stay offsets into
 * those bytes ({@link io.percore.http.Headers} compares names without making strings), and bodies — Content-Length
 * or chunked with trailers — come out as shares of the received buffers. Everything refused is an
 * {@link io.percore.http.HttpException} with its status, answered on that connection, which then closes; other
 * connections never notice. The parser is strict where leniency lets requests be smuggled (no whitespace before a
 * colon, no obs-fold, one Content-Length, never with Transfer-Encoding).
 *
 * <h2>Bodies and back-pressure</h2>
 * A request body is a {@link io.percore.http.BodyReader} that reads from the socket only when the handler asks, and
 * a streamed response is written by a {@link io.percore.http.BodyProducer} whose writes wait while the socket's send
 * queue is full: neither side can make the other buffer without bound.
 *
 * <h2>Stopping</h2>
 * {@link io.percore.http.HttpServer#stop()} goes in order through the server's gate: stop accepting, close idle
 * connections, let requests in flight finish (their responses say {@code Connection: close}) or close them after
 * the stop grace, then resolve. Websocket sessions are told to close with 1001.
 *
 * <h2>The client</h2>
 * {@link io.percore.http.HttpClient} keeps a pool of keep-alive connections per address on its shard, sends
 * fixed-length or chunked bodies, reads every framing a server may use, and bounds connecting and waiting for the
 * response head with timeouts.
 *
 * <p>Blocking work — reading static files — goes through {@link io.percore.core.Offload}; everything else runs on
 * the shard that owns the connection.
 */
package io.percore.http;
