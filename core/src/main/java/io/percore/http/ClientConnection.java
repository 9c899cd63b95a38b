package io.percore.http;

import io.percore.core.Future;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.ConnectedSocket;
import io.percore.net.NetException;
import io.percore.net.SocketAddress;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeoutException;

/**
 * One client connection: writes a request, parses the response head (skipping interim 1xx responses), and reads the
 * body with the framing RFC 9112 §6.3 gives it. Owning shard only.
 */
final class ClientConnection {
    private static final byte[] CONTENT_LENGTH = "Content-Length: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHUNKED = "Transfer-Encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final HttpClient client;
    final SocketAddress address;
    private final ConnectedSocket socket;
    private final HeadScanner scanner;
    private final ByteSink sink = new ByteSink(256);
    private final String hostValue;
    private Buffer buffered = Buffer.empty();
    private boolean used;
    private boolean closed;
    long idleSince;

    ClientConnection(HttpClient client, ConnectedSocket socket, SocketAddress address) {
        this.client = client;
        this.socket = socket;
        this.address = address;
        HttpLimits l = client.config.limits();
        this.scanner = new HeadScanner(l.maxRequestLine(), l.maxHeaderBytes(), HttpStatus.BAD_REQUEST);
        String host = address.ip().getHostAddress();
        int pct = host.indexOf('%');
        if (pct >= 0) {
            host = host.substring(0, pct); // a zone id does not belong in Host (RFC 9110 §7.2)
        }
        this.hostValue = (address.isIpv6() ? "[" + host + "]" : host) + ":" + address.port();
    }

    /** Set when a 101 answered an upgrade request: the socket and bytes after the head now belong to the caller. */
    HttpClient.Upgraded takenOver;
    private boolean upgrading;

    /** Sends {@code req} asking to switch protocols; a 101 hands the connection over through {@link #takenOver}. */
    Future<ClientResponse> upgrade(ClientRequest req) {
        upgrading = true;
        return exchange(req);
    }

    /** Sends {@code req} and reads the response head. */
    Future<ClientResponse> exchange(ClientRequest req) {
        boolean reused = used;
        used = true;
        Future<Void> sent = writeRequest(req);
        Future<ClientResponse> answer = sent.flatMap(v -> readResponse(req, reused, false));
        return answer.withTimeout(client.config.requestTimeout()).handle((resp, e) -> {
            if (e == null) {
                return resp;
            }
            close();
            if (e instanceof TimeoutException) {
                throw new NetException.TimedOut("HTTP request", 0, address, e);
            }
            throw e instanceof RuntimeException re ? re : new NetException("HTTP exchange failed", 0, address, e);
        });
    }

    private Future<Void> writeRequest(ClientRequest req) {
        ByteSink h = sink;
        h.clear();
        h.latin1(req.method).put((byte) ' ').latin1(req.target).latin1(" HTTP/1.1\r\n");
        if (!req.headers.contains("Host")) {
            h.latin1("Host: ").latin1(hostValue).crlf();
        }
        if (client.config.userAgent() != null && !req.headers.contains("User-Agent")) {
            h.latin1("User-Agent: ").latin1(client.config.userAgent()).crlf();
        }
        for (int i = 0; i < req.headers.size(); i++) {
            h.latin1(req.headers.name(i)).latin1(": ").latin1(req.headers.value(i)).crlf();
        }
        long length = req.bytes != null ? req.bytes.length : req.buffer != null ? req.buffer.length() : req.producerLength;
        boolean chunked = req.producer != null && length < 0;
        if (chunked) {
            h.put(CHUNKED);
        } else if (length > 0 || req.producer != null || !(req.method.equals("GET") || req.method.equals("HEAD"))) {
            h.put(CONTENT_LENGTH).decimal(Math.max(length, 0)).crlf();
        }
        h.crlf();
        if (req.bytes != null) {
            int headLength = h.length();
            Buffer all = h.toBuffer(req.bytes.length);
            MemorySegment.copy(req.bytes, 0, all.segment(), ValueLayout.JAVA_BYTE, headLength, req.bytes.length);
            return socket.output().write(all);
        }
        if (req.buffer != null) {
            return socket.output().write(Packet.of(h.toBuffer(0), req.buffer.share()));
        }
        Future<Void> head = socket.output().write(h.toBuffer(0));
        if (req.producer == null) {
            return head;
        }
        long[] written = {0};
        BodyWriter w = data -> {
            if (data.isEmpty()) {
                data.release();
                return Future.done();
            }
            written[0] += data.length();
            if (!chunked) {
                return socket.output().write(data);
            }
            ByteSink s = new ByteSink(12);
            s.hex(data.length()).crlf();
            return socket.output().write(Packet.of(s.toBuffer(0), data, Buffer.copyOf(new byte[] {'\r', '\n'})));
        };
        return head.then(() -> Future.of(() -> req.producer.writeTo(w))).flatMap(v -> {
            if (chunked) {
                return socket.output().write(Buffer.copyOf(LAST_CHUNK));
            }
            if (written[0] != length) {
                return Future.failed(new IllegalStateException("request body of " + written[0] + " bytes where "
                        + length + " were declared"));
            }
            return Future.done();
        });
    }

    /** Reads heads until a final (non-1xx, or 101) one. */
    private Future<ClientResponse> readResponse(ClientRequest req, boolean reused, boolean sawByte) {
        Buffer head;
        try {
            head = scanner.scan(buffered);
        } catch (HttpException e) {
            return Future.failed(new HttpClient.MalformedResponse("response head: " + e.getMessage()));
        }
        if (head == null) {
            boolean any = sawByte || scanner.inProgress();
            buffered.release();
            buffered = Buffer.empty();
            return socket.input().read().handle((data, e) -> {
                if (e != null) {
                    if (reused && !any) {
                        throw new HttpClient.StaleConnection(e);
                    }
                    throw e instanceof RuntimeException re ? re : new NetException("read failed", 0, address, e);
                }
                if (data.isEmpty()) {
                    NetException eof = new NetException.ConnectionReset(0, address, null);
                    if (reused && !any) {
                        throw new HttpClient.StaleConnection(eof);
                    }
                    throw new NetException("connection closed before the whole response head arrived", 0, address, null);
                }
                buffered = data;
                return data;
            }).flatMap(d -> readResponse(req, reused, true));
        }
        ClientResponse resp;
        try {
            resp = parseHead(head, req);
        } catch (RuntimeException e) {
            head.release();
            return Future.failed(e);
        }
        head.release();
        if (resp == null) {
            return readResponse(req, reused, true); // an interim 1xx: the real answer follows
        }
        return Future.ready(resp);
    }

    /** @return the response, or null for an interim 1xx response. */
    private ClientResponse parseHead(Buffer head, ClientRequest req) {
        MemorySegment b = head.segment();
        int n = head.length();
        // HTTP/1.x SP 3DIGIT SP reason
        if (n < 12 || b.get(ValueLayout.JAVA_BYTE, 0) != 'H' || b.get(ValueLayout.JAVA_BYTE, 1) != 'T'
                || b.get(ValueLayout.JAVA_BYTE, 2) != 'T' || b.get(ValueLayout.JAVA_BYTE, 3) != 'P'
                || b.get(ValueLayout.JAVA_BYTE, 4) != '/' || b.get(ValueLayout.JAVA_BYTE, 5) != '1'
                || b.get(ValueLayout.JAVA_BYTE, 6) != '.' || b.get(ValueLayout.JAVA_BYTE, 8) != ' ') {
            throw new HttpClient.MalformedResponse("status line does not start with HTTP/1.x");
        }
        int minor = b.get(ValueLayout.JAVA_BYTE, 7) == '0' ? 0 : 1;
        int status = 0;
        for (int i = 9; i < 12; i++) {
            byte c = b.get(ValueLayout.JAVA_BYTE, i);
            if (c < '0' || c > '9') {
                throw new HttpClient.MalformedResponse("malformed status code");
            }
            status = status * 10 + (c - '0');
        }
        if (status < 100) {
            throw new HttpClient.MalformedResponse("status code out of range: " + status);
        }
        int i = 12;
        int reasonStart = i;
        if (i < n && b.get(ValueLayout.JAVA_BYTE, i) == ' ') {
            reasonStart = ++i;
        }
        while (i < n && b.get(ValueLayout.JAVA_BYTE, i) != '\r' && b.get(ValueLayout.JAVA_BYTE, i) != '\n') {
            i++;
        }
        String reason = RequestParser.ascii(b, reasonStart, i - reasonStart);
        ParsedHeaders fields = new ParsedHeaders();
        fields.reset(head);
        try {
            i = RequestParser.lineEnd(b, n, i, "after the status line");
            RequestParser.parseFields(b, n, i, fields, client.config.limits());
        } catch (HttpException e) {
            throw new HttpClient.MalformedResponse(e.getMessage());
        }
        if (status >= 100 && status < 200 && status != 101) {
            fields.invalidate();
            return null;
        }
        HttpHeaders headers = new HttpHeaders();
        boolean close = minor == 0;
        long length = -1;
        boolean chunked = false;
        for (int k = 0; k < fields.size(); k++) {
            String name = fields.name(k);
            String value = fields.value(k);
            if (name.equalsIgnoreCase("Connection")) {
                if (Headers.listContains(value, "close")) {
                    close = true;
                } else if (Headers.listContains(value, "keep-alive") && minor == 0) {
                    close = false;
                }
            } else if (name.equalsIgnoreCase("Content-Length")) {
                try {
                    long v = Long.parseLong(value.strip());
                    if (v < 0 || (length >= 0 && length != v)) {
                        throw new HttpClient.MalformedResponse("bad Content-Length " + value);
                    }
                    length = v;
                } catch (NumberFormatException e) {
                    throw new HttpClient.MalformedResponse("bad Content-Length " + value);
                }
            } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                chunked = Headers.listContains(value, "chunked");
                if (!chunked) {
                    throw new HttpClient.MalformedResponse("unsupported transfer coding " + value);
                }
            }
            try {
                headers.add(name, value);
            } catch (IllegalArgumentException e) {
                throw new HttpClient.MalformedResponse("bad header field: " + e.getMessage());
            }
        }
        fields.invalidate();
        if (status == 101 && upgrading) {
            ClientResponse resp = new ClientResponse(status, reason, minor, headers, BodyReader.NONE, () -> {});
            takenOver = new HttpClient.Upgraded(resp, socket, buffered);
            buffered = Buffer.empty();
            closed = true; // no longer ours: nothing here may touch the socket again
            client.closed(this);
            return resp;
        }
        BodyDecoder decoder;
        if (req.method.equals("HEAD") || status == 204 || status == 304 || status == 101) {
            decoder = null;
        } else if (chunked) {
            decoder = BodyDecoder.chunked(client.config.limits());
        } else if (length >= 0) {
            if (length > client.config.limits().maxBodyBytes()) {
                throw new HttpClient.MalformedResponse("response body of " + length + " bytes exceeds the limit");
            }
            decoder = length == 0 ? null : BodyDecoder.fixed(length);
        } else {
            decoder = BodyDecoder.untilClose();
            close = true;
        }
        boolean reusable = !close && status != 101;
        ResponseBody body = new ResponseBody(decoder, reusable);
        ClientResponse resp = new ClientResponse(status, reason, minor, headers, decoder == null ? BodyReader.NONE : body,
                body::abandon);
        if (decoder == null) {
            body.finish();
        }
        return resp;
    }

    /** The response body: reads from the connection on demand; at its end the connection is released or closed. */
    private final class ResponseBody extends BodyReader {
        private final BodyDecoder decoder;
        private final boolean reusable;
        private boolean finished;

        ResponseBody(BodyDecoder decoder, boolean reusable) {
            this.decoder = decoder;
            this.reusable = reusable;
        }

        @Override
        public Future<Buffer> read() {
            if (finished) {
                return Future.ready(Buffer.empty());
            }
            Buffer piece;
            try {
                piece = decoder.next(buffered);
            } catch (HttpException e) {
                close();
                return Future.failed(new HttpClient.MalformedResponse("response body: " + e.getMessage()));
            }
            if (decoder.isDone()) {
                finish();
                return Future.ready(piece);
            }
            if (!piece.isEmpty()) {
                return Future.ready(piece);
            }
            buffered.release();
            buffered = Buffer.empty();
            if (closed) {
                return Future.failed(new NetException.SocketClosed("read", address));
            }
            return socket.input().read().flatMap(data -> {
                if (data.isEmpty()) {
                    try {
                        decoder.endOfInput();
                    } catch (HttpException e) {
                        close();
                        return Future.failed(new HttpClient.MalformedResponse("connection closed in the middle of the body"));
                    }
                    finish();
                    return Future.ready(Buffer.empty());
                }
                buffered = data;
                return read();
            });
        }

        @Override
        public boolean isDone() {
            return finished;
        }

        void finish() {
            if (finished) {
                return;
            }
            finished = true;
            if (reusable && buffered.isEmpty() && !closed) {
                client.release(ClientConnection.this);
            } else {
                close();
            }
        }

        void abandon() {
            if (!finished) {
                finished = true;
                close();
            }
        }
    }

    /** Closes the connection (idempotent). */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        buffered.release();
        buffered = Buffer.empty();
        scanner.reset();
        client.closed(this);
        socket.close().ignoreFailure();
    }
}
