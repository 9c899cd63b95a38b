package io.percore.http;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.LowresClock;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.ConnectedSocket;
import io.percore.net.InputStream;
import io.percore.net.NetException;
import io.percore.net.OutputStream;
import io.percore.net.SocketAddress;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One server connection: reads requests, runs the handler for one request at a time (so pipelined requests are
 * answered in order), writes each response, and decides after each whether the connection lives on. Responses
 * produced while more requests are already received go into the socket's send queue together, so a pipelined
 * batch leaves in one system call. Owning shard only.
 */
final class ServerConnection {
    private static final Logger LOG = LoggerFactory.getLogger(ServerConnection.class);
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTENT_LENGTH = "Content-Length: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTENT_TYPE = "Content-Type: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHUNKED = "Transfer-Encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CLOSE = "Connection: close\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEEP_ALIVE = "Connection: keep-alive\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COLON_SPACE = {':', ' '};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** Bodies up to this size are copied behind the head, so a small response is one buffer. */
    private static final int INLINE_BODY = 8 << 10;
    /** After a refusal, how much of the peer's input is read and dropped before the close, and for how long. */
    private static final long LINGER_BYTES = 1 << 20;
    private static final Duration LINGER_TIME = Duration.ofSeconds(2);
    /**
     * Ready booleans, shared rather than made per request: a ready future may be continued any number of times, and
     * one made off-shard belongs to no shard. As the loop's answer TRUE means stop; as a response's, keep alive.
     */
    private static final Future<Boolean> READY_TRUE = Future.ready(Boolean.TRUE);
    private static final Future<Boolean> READY_FALSE = Future.ready(Boolean.FALSE);
    private static final Future<Boolean> STOP = READY_TRUE;
    private static final Future<Boolean> GO_ON = READY_FALSE;

    private final HttpServer server;
    private final HttpServerStats stats;
    private final ConnectedSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private final SocketAddress remote;
    private final RequestParser parser;
    private final ByteSink sink = new ByteSink(256);

    /** Received bytes not yet parsed; the empty buffer when none. */
    private Buffer buffered = Buffer.empty();
    private boolean eof;
    /** Waiting for the first byte of a request (the connection may be closed at once on stop). */
    private boolean idle = true;
    private long lastActivity = LowresClock.nanos();
    private long headStartedAt;
    private boolean headTimedOut;
    private boolean closeAfterResponse;
    private boolean upgraded;
    private boolean closing;
    private boolean forced;

    /** The body of the request being served, and whether its client still waits for 100 Continue. */
    private BodyDecoder decoder;
    private boolean continuePending;

    ServerConnection(HttpServer server, ConnectedSocket socket, SocketAddress remote) {
        this.server = server;
        this.stats = server.stats;
        this.socket = socket;
        this.in = socket.input();
        this.out = socket.output();
        this.remote = remote;
        this.parser = new RequestParser(server.config.limits());
    }

    /** Resolved when the connection is closed: by its loop's end, or at once by {@link #forceClose()}. */
    private final io.percore.core.Promise<Void> finished = new io.percore.core.Promise<>();

    /** @return done when the connection is closed, whatever happened to it. */
    Future<Void> run() {
        Futures.repeat(this::step).handle((v, e) -> {
            if (e != null) {
                noteFailure(e);
            }
            return null;
        }).flatMap(v -> close()).onComplete((v, e) -> finished.trySetValue(null));
        return finished;
    }

    private void noteFailure(Throwable e) {
        if (forced || e instanceof NetException.SocketClosed) {
            return; // closed by the server's stop: not the peer's fault nor ours
        }
        stats.errors++;
        if (e instanceof NetException) {
            LOG.debug("connection from {} failed: {}", remote, e.toString());
        } else {
            LOG.warn("connection from {} failed", remote, e);
        }
    }

    /** One turn of the loop. @return true to stop */
    private Future<Boolean> step() {
        if (closeAfterResponse && !parser.inProgress() && buffered.isEmpty()) {
            return STOP;
        }
        Request r;
        try {
            r = parser.parse(buffered);
        } catch (HttpException e) {
            stats.requests++;
            return refuse(e);
        }
        if (r == null) {
            return readMore();
        }
        return serve(r, parser.lastHead());
    }

    private Future<Boolean> readMore() {
        buffered.release();
        buffered = Buffer.empty();
        if (eof) {
            return STOP;
        }
        idle = !parser.inProgress();
        if (!idle && headStartedAt == 0) {
            headStartedAt = LowresClock.nanos();
        }
        return in.read().flatMap(data -> {
            idle = false;
            lastActivity = LowresClock.nanos();
            if (data.isEmpty()) {
                eof = true;
                if (headTimedOut && parser.inProgress()) {
                    return refuse(new HttpException(HttpStatus.REQUEST_TIMEOUT, "request head not received in time"));
                }
                return STOP;
            }
            stats.bytesReceived += data.length();
            buffered = data;
            return GO_ON;
        });
    }

    // ------------------------------------------------------------------ one request

    private Future<Boolean> serve(Request r, Buffer head) {
        idle = false;
        headStartedAt = 0;
        stats.requests++;
        r.remoteAddress = remote;
        decoder = r.chunked ? BodyDecoder.chunked(server.config.limits())
                : r.contentLength > 0 ? BodyDecoder.fixed(r.contentLength) : null;
        continuePending = r.expectContinue && decoder != null;
        if (decoder != null) {
            r.body = new ConnectionBody();
        }
        Future<Response> answer;
        try {
            answer = server.handler.handle(r);
            if (answer == null) {
                answer = Future.failed(new NullPointerException("handler returned null for " + r));
            }
        } catch (Throwable t) {
            answer = Future.failed(t);
        }
        if (answer.isDone()) {
            // The common case, a handler that answers at once: no continuations to allocate and schedule.
            Throwable failed = answer.failure();
            Future<Boolean> written;
            try {
                written = respond(r, failed == null ? answer.getNow() : errorResponse(r, failed));
            } catch (RuntimeException e) {
                written = Future.failed(e);
            }
            if (written.isDone()) {
                Throwable err = written.failure();
                return finish(r, head, err == null ? written.getNow() : null, err);
            }
            return written.handle((keep, err) -> new Object[] {keep, err})
                    .flatMap(o -> finish(r, head, (Boolean) o[0], (Throwable) o[1]));
        }
        return answer.handle((resp, err) -> resp != null ? resp : errorResponse(r, err))
                .flatMap(resp -> respond(r, resp))
                .handle((keep, err) -> new Object[] {keep, err})
                .flatMap(o -> finish(r, head, (Boolean) o[0], (Throwable) o[1]));
    }

    /** After the response: release the head, then stop, drain an unread body, or go on. @return true to stop */
    private Future<Boolean> finish(Request r, Buffer head, Boolean keep, Throwable err) {
        r.headers.invalidate();
        head.release();
        if (err != null) {
            noteFailure(err);
            return STOP;
        }
        if (!keep) {
            return STOP;
        }
        return decoder == null || decoder.isDone() ? GO_ON : drainBody();
    }

    private Response errorResponse(Request r, Throwable err) {
        if (err instanceof HttpException he) {
            if (he.status() >= 500) {
                stats.errors++;
            }
            return Response.text(he.status(), he.getMessage() + "\n");
        }
        stats.errors++;
        LOG.warn("handler failed for {} from {}", r, remote, err);
        return Response.text(HttpStatus.INTERNAL_SERVER_ERROR, "internal server error\n");
    }

    /** Writes the response. @return whether the connection may serve another request */
    private Future<Boolean> respond(Request r, Response resp) {
        boolean keep = r.keepAlive && !resp.close && !closeAfterResponse;
        if (decoder != null && !decoder.isDone()) {
            // The client still sends a body nobody read: it never will if it waits for 100 Continue, and a long one
            // costs more to drain than a new connection.
            if (continuePending || remainingBody() > server.config.drainLimit()) {
                keep = false;
            }
        }
        boolean isHead = r.method.equals("HEAD");
        int status = resp.status;
        if (resp.upgrade != null) {
            return upgrade(resp);
        }
        boolean noBody = isHead || HttpStatus.forbidsBody(status);
        long length = resp.fixedLength();
        boolean chunked = resp.producer != null && length < 0;
        if (chunked && r.versionMinor == 0) {
            chunked = false; // HTTP/1.0 knows no chunks: the body ends when the connection does
            keep = false;
        }
        ByteSink h = sink;
        h.clear();
        h.put(HttpStatus.statusLine(status));
        h.put(server.date.line());
        if (server.serverLine != null) {
            h.put(server.serverLine);
        }
        if (resp.contentType != null && !HttpStatus.forbidsBody(status)) {
            h.put(CONTENT_TYPE).latin1(resp.contentType).crlf();
        }
        if (!HttpStatus.forbidsBody(status)) {
            if (chunked) {
                h.put(CHUNKED);
            } else if (length >= 0) {
                h.put(CONTENT_LENGTH).decimal(length).crlf();
            }
        }
        if (resp.headers != null) {
            for (int i = 0; i < resp.headers.size(); i++) {
                h.latin1(resp.headers.name(i)).put(COLON_SPACE).latin1(resp.headers.value(i)).crlf();
            }
        }
        if (!keep) {
            if (r.versionMinor == 1) {
                h.put(CLOSE);
            }
        } else if (r.versionMinor == 0) {
            h.put(KEEP_ALIVE);
        }
        h.crlf();
        boolean keepAlive = keep;
        boolean asChunks = chunked;
        if (noBody) {
            resp.discard();
            return sent(send(h.toBuffer(0)), keepAlive);
        }
        if (resp.bytes != null) {
            byte[] body = resp.bytes;
            if (body.length <= INLINE_BODY) {
                int headLength = h.length();
                Buffer all = h.toBuffer(body.length);
                MemorySegment.copy(body, 0, all.segment(), ValueLayout.JAVA_BYTE, headLength, body.length);
                return sent(send(all), keepAlive);
            }
            return sent(send(Packet.of(h.toBuffer(0), Buffer.copyOf(body))), keepAlive);
        }
        if (resp.buffer != null) {
            Buffer body = resp.buffer;
            resp.buffer = null;
            return sent(send(Packet.of(h.toBuffer(0), body)), keepAlive);
        }
        if (resp.producer != null) {
            return send(h.toBuffer(0)).flatMap(v -> stream(resp, asChunks, length)).map(v -> keepAlive);
        }
        return sent(send(h.toBuffer(0)), keepAlive);
    }

    /** @return {@code keep} once {@code write} is done; no continuation when the socket took the write at once. */
    private static Future<Boolean> sent(Future<Void> write, boolean keep) {
        if (write.isReady()) {
            return keep ? READY_TRUE : READY_FALSE;
        }
        return write.map(v -> keep);
    }

    private Future<Void> stream(Response resp, boolean chunked, long length) {
        StreamWriter w = new StreamWriter(chunked);
        Future<Void> produced;
        try {
            produced = resp.producer.writeTo(w);
        } catch (Throwable t) {
            produced = Future.failed(t);
        }
        return produced.flatMap(v -> {
            if (chunked) {
                return send(Buffer.copyOf(LAST_CHUNK));
            }
            if (length >= 0 && w.written != length) {
                return Future.failed(new IllegalStateException("streamed body of " + w.written
                        + " bytes where Content-Length said " + length));
            }
            return Future.done();
        });
    }

    /** Frames streamed body writes: as chunks, or as they are. */
    private final class StreamWriter implements BodyWriter {
        private final boolean chunked;
        long written;

        StreamWriter(boolean chunked) {
            this.chunked = chunked;
        }

        @Override
        public Future<Void> write(Buffer data) {
            if (data.isEmpty()) {
                data.release();
                return Future.done(); // an empty chunk would end the body
            }
            written += data.length();
            if (!chunked) {
                return send(data);
            }
            ByteSink s = new ByteSink(12);
            s.hex(data.length()).crlf();
            return send(Packet.of(s.toBuffer(0), data, Buffer.copyOf(new byte[] {'\r', '\n'})));
        }
    }

    private Future<Void> send(Buffer b) {
        stats.bytesSent += b.length();
        return out.write(b);
    }

    private Future<Void> send(Packet p) {
        stats.bytesSent += p.length();
        return out.write(p);
    }

    private Future<Boolean> upgrade(Response resp) {
        ByteSink h = sink;
        h.clear();
        h.put(HttpStatus.statusLine(resp.status));
        h.put(server.date.line());
        if (server.serverLine != null) {
            h.put(server.serverLine);
        }
        if (resp.headers != null) {
            for (int i = 0; i < resp.headers.size(); i++) {
                h.latin1(resp.headers.name(i)).put(COLON_SPACE).latin1(resp.headers.value(i)).crlf();
            }
        }
        h.crlf();
        upgraded = true;
        Buffer rest = buffered;
        buffered = Buffer.empty();
        return send(h.toBuffer(0))
                .flatMap(v -> resp.upgrade.run(socket, rest, server.stopSignal))
                .map(v -> Boolean.FALSE); // "keep" is false: the loop ends and the socket is closed
    }

    /** @return the body bytes still to come when known (a chunked body's rest is not: draining stops at the limit). */
    private long remainingBody() {
        return decoder.knownRemaining();
    }

    /** Reads and drops the rest of a body nobody read, up to the drain limit. @return true to stop */
    private Future<Boolean> drainBody() {
        long[] drained = {0};
        long limit = server.config.drainLimit();
        return Futures.repeat(() -> nextBodyPiece().map(piece -> {
            boolean end = piece.isEmpty();
            drained[0] += piece.length();
            piece.release();
            return end || drained[0] > limit;
        })).map(v -> !decoder.isDone()).handle((stop, e) -> e != null || stop);
    }

    // ------------------------------------------------------------------ request body

    /** The body reader handed to handlers: reads from the socket only when asked. */
    private final class ConnectionBody extends BodyReader {
        private final BodyDecoder mine = decoder;

        @Override
        public Future<Buffer> read() {
            if (mine != decoder) {
                return Future.failed(new IllegalStateException("the request's body is gone: its response was written"));
            }
            return nextBodyPiece();
        }

        @Override
        public boolean isDone() {
            return mine.isDone();
        }
    }

    private Future<Buffer> nextBodyPiece() {
        if (continuePending) {
            continuePending = false;
            send(Buffer.copyOf(CONTINUE)).ignoreFailure();
        }
        Buffer piece;
        try {
            piece = decoder.next(buffered);
        } catch (HttpException e) {
            closeAfterResponse = true;
            return Future.failed(e);
        }
        if (!piece.isEmpty() || decoder.isDone()) {
            return Future.ready(piece);
        }
        buffered.release();
        buffered = Buffer.empty();
        if (eof) {
            closeAfterResponse = true;
            return Future.failed(HttpException.badRequest("connection closed in the middle of a body"));
        }
        return in.read().flatMap(data -> {
            lastActivity = LowresClock.nanos();
            if (data.isEmpty()) {
                eof = true;
            } else {
                stats.bytesReceived += data.length();
                buffered = data;
            }
            return nextBodyPiece();
        });
    }

    // ------------------------------------------------------------------ refusals, timeouts, stop, close

    /** Answers a request the parser refused, then ends the connection. */
    private Future<Boolean> refuse(HttpException e) {
        stats.errors++;
        LOG.debug("refused a request from {}: {} {}", remote, e.status(), e.getMessage());
        closeAfterResponse = true;
        buffered.release();
        buffered = Buffer.empty();
        ByteSink h = sink;
        h.clear();
        byte[] body = (HttpStatus.reason(e.status()) + ": " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
        h.put(HttpStatus.statusLine(e.status())).put(server.date.line());
        if (server.serverLine != null) {
            h.put(server.serverLine);
        }
        h.put(CONTENT_TYPE).latin1("text/plain; charset=utf-8").crlf();
        h.put(CONTENT_LENGTH).decimal(body.length).crlf().put(CLOSE).crlf().put(body);
        return send(h.toBuffer(0)).map(v -> Boolean.TRUE);
    }

    void checkTimeouts(long now, long idleLimit, long headLimit) {
        if (closing || upgraded) {
            return;
        }
        if (idle && now - lastActivity > idleLimit) {
            socket.shutdownInput();
        } else if (headStartedAt != 0 && now - headStartedAt > headLimit && !headTimedOut) {
            headTimedOut = true;
            socket.shutdownInput();
        }
    }

    /** The server stops: an idle connection closes now, a busy one after its response. */
    void stopRequested() {
        closeAfterResponse = true;
        if (idle && !upgraded && !closing) {
            socket.shutdownInput();
        }
    }

    /**
     * The stop grace is over: close under whatever is pending. The connection counts as closed at once; a handler
     * still running later finds its writes refused.
     */
    void forceClose() {
        forced = true;
        if (!closing) {
            closing = true;
            socket.close().ignoreFailure();
        }
        finished.trySetValue(null);
    }

    private void releaseInput() {
        buffered.release();
        buffered = Buffer.empty();
        parser.reset();
    }

    /**
     * Flushes and sends FIN, then (unless the peer already closed) reads and drops its input for a moment before
     * the descriptor is closed: closing with unread input makes the kernel send a reset that can destroy the
     * response still on its way (the "lingering close" of RFC 9112 §9.6).
     */
    private Future<Void> close() {
        if (forced) {
            releaseInput();
            return Future.done();
        }
        closing = true;
        releaseInput();
        Future<Void> fin = out.close().handle((v, e) -> null);
        Future<Void> linger = upgraded || eof ? fin : fin.flatMap(v -> linger());
        return linger.handle((v, e) -> null).flatMap(v -> socket.close()).handle((v, e) -> null);
    }

    private Future<Void> linger() {
        long[] dropped = {0};
        return Futures.repeat(() -> in.read().map(data -> {
            boolean end = data.isEmpty();
            dropped[0] += data.length();
            data.release();
            return end || dropped[0] > LINGER_BYTES;
        })).withTimeout(LINGER_TIME).handle((v, e) -> null);
    }
}
