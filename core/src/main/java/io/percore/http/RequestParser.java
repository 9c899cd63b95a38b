package io.percore.http;

import io.percore.memory.Buffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The server's incremental HTTP/1.1 request parser: feed it the received buffers as they come, in pieces of any
 * size, and it returns each {@link Request} once its head is complete, with the body framing decided (RFC 9112).
 *
 * <p>Two steps. {@link HeadScanner} finds the end of the head without copying (unless the head crosses a read
 * boundary) and enforces the length limits as bytes arrive; then the complete head is parsed in one pass over
 * its bytes: request line, fields as offsets ({@link ParsedHeaders}), and the fields that decide framing and
 * connection handling (Host, Content-Length, Transfer-Encoding, Connection, Expect, Upgrade). Everything it
 * refuses fails with an {@link HttpException} naming the status: 400 malformed, 414 request line too long, 431
 * head too large, 413 declared body too large, 501 unknown method or transfer coding, 505 HTTP version, 417
 * unknown expectation. It is strict where leniency lets requests be smuggled past a proxy: no whitespace before
 * a field's colon, no obs-fold, no bare CR, one Content-Length value, never Content-Length with
 * Transfer-Encoding. One per connection; owning shard thread only.
 */
final class RequestParser {
    private final HttpLimits limits;
    private final HeadScanner scanner;

    RequestParser(HttpLimits limits) {
        this.limits = limits;
        this.scanner = new HeadScanner(limits.maxRequestLine(), limits.maxHeaderBytes(), HttpStatus.URI_TOO_LONG);
    }

    /** @return true when part of a request head has arrived and waits for the rest. */
    boolean inProgress() {
        return scanner.inProgress();
    }

    /**
     * Consumes bytes of {@code in} up to the end of the next request head.
     *
     * @return the request, whose head buffer is returned by {@link #lastHead()} and owned by the caller; null
     * when more input is needed (all of {@code in} was consumed)
     * @throws HttpException for a request that must be refused
     */
    Request parse(Buffer in) {
        Buffer head = scanner.scan(in);
        if (head == null) {
            return null;
        }
        Request r = new Request();
        try {
            parseHead(head, r);
        } catch (RuntimeException e) {
            r.headers.invalidate();
            head.release();
            throw e;
        }
        lastHead = head;
        return r;
    }

    private Buffer lastHead;

    /** @return the head buffer of the request {@link #parse} returned last (the caller releases it). */
    Buffer lastHead() {
        Buffer h = lastHead;
        lastHead = null;
        return h;
    }

    /** Drops a head in progress. */
    void reset() {
        scanner.reset();
    }

    private void parseHead(Buffer head, Request r) {
        MemorySegment b = head.segment();
        int n = head.length();
        // request line: method SP target SP version CRLF
        int i = 0;
        while (i < n && HttpChars.isTchar(b.get(ValueLayout.JAVA_BYTE, i))) {
            i++;
        }
        int methodEnd = i;
        if (methodEnd == 0 || i >= n || b.get(ValueLayout.JAVA_BYTE, i) != ' ') {
            throw HttpException.badRequest("malformed method in the request line");
        }
        int targetStart = ++i;
        boolean hasPercent = false;
        int queryAt = -1;
        while (i < n) {
            byte c = b.get(ValueLayout.JAVA_BYTE, i);
            if (!HttpChars.isTargetChar(c)) {
                break;
            }
            if (c == '%') {
                hasPercent = true;
            } else if (c == '?' && queryAt < 0) {
                queryAt = i;
            }
            i++;
        }
        int targetEnd = i;
        if (targetEnd == targetStart || i >= n || b.get(ValueLayout.JAVA_BYTE, i) != ' ') {
            throw HttpException.badRequest("malformed request-target");
        }
        i++;
        i = parseVersion(b, n, i, r);
        r.method = method(b, methodEnd);
        parseTarget(b, targetStart, targetEnd, queryAt, hasPercent, r);
        r.headers.reset(head);
        parseFields(b, n, i, r.headers, limits);
        decideFraming(b, r);
        if (!isKnownMethod(r.method)) {
            throw new HttpException(HttpStatus.NOT_IMPLEMENTED, "method " + r.method + " is not implemented");
        }
    }

    /** @return the index after the request line's line end. */
    private static int parseVersion(MemorySegment b, int n, int i, Request r) {
        // "HTTP/" DIGIT "." DIGIT
        if (i + 8 > n || b.get(ValueLayout.JAVA_BYTE, i) != 'H' || b.get(ValueLayout.JAVA_BYTE, i + 1) != 'T'
                || b.get(ValueLayout.JAVA_BYTE, i + 2) != 'T' || b.get(ValueLayout.JAVA_BYTE, i + 3) != 'P'
                || b.get(ValueLayout.JAVA_BYTE, i + 4) != '/') {
            throw HttpException.badRequest("malformed HTTP version");
        }
        byte major = b.get(ValueLayout.JAVA_BYTE, i + 5);
        byte dot = b.get(ValueLayout.JAVA_BYTE, i + 6);
        byte minor = b.get(ValueLayout.JAVA_BYTE, i + 7);
        if (major < '0' || major > '9' || dot != '.' || minor < '0' || minor > '9') {
            throw HttpException.badRequest("malformed HTTP version");
        }
        i += 8;
        i = lineEnd(b, n, i, "after the HTTP version");
        if (major != '1') {
            throw new HttpException(HttpStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP/" + (char) major + "." + (char) minor
                    + " is not supported (HTTP/1.0 and HTTP/1.1 are)");
        }
        // RFC 9110 §6.2: a higher 1.x minor version is answered as 1.1.
        r.versionMinor = minor == '0' ? 0 : 1;
        return i;
    }

    /** @return the index after a CRLF (or bare LF) at {@code i}. */
    static int lineEnd(MemorySegment b, int n, int i, String where) {
        if (i < n && b.get(ValueLayout.JAVA_BYTE, i) == '\r') {
            i++;
        }
        if (i >= n || b.get(ValueLayout.JAVA_BYTE, i) != '\n') {
            throw HttpException.badRequest("line end expected " + where);
        }
        return i + 1;
    }

    private static String method(MemorySegment b, int len) {
        // The common methods as constants: no string made per request.
        byte c0 = b.get(ValueLayout.JAVA_BYTE, 0);
        if (len == 3 && c0 == 'G' && b.get(ValueLayout.JAVA_BYTE, 1) == 'E' && b.get(ValueLayout.JAVA_BYTE, 2) == 'T') {
            return "GET";
        }
        if (len == 4 && c0 == 'P' && b.get(ValueLayout.JAVA_BYTE, 1) == 'O' && b.get(ValueLayout.JAVA_BYTE, 2) == 'S'
                && b.get(ValueLayout.JAVA_BYTE, 3) == 'T') {
            return "POST";
        }
        String m = ascii(b, 0, len);
        return switch (m) {
            case "HEAD" -> "HEAD";
            case "PUT" -> "PUT";
            case "DELETE" -> "DELETE";
            default -> m;
        };
    }

    static boolean isKnownMethod(String m) {
        return switch (m) {
            case "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE" -> true;
            default -> false;
        };
    }

    private static void parseTarget(MemorySegment b, int start, int end, int queryAt, boolean hasPercent, Request r) {
        // "/" is the most requested target of all: no string made for it.
        r.target = end - start == 1 && b.get(ValueLayout.JAVA_BYTE, start) == '/' ? "/" : ascii(b, start, end - start);
        int pathStart = start;
        int pathEnd = queryAt < 0 ? end : queryAt;
        byte first = b.get(ValueLayout.JAVA_BYTE, start);
        if (first != '/') {
            if (end - start == 1 && first == '*') {
                if (!r.method.equals("OPTIONS")) {
                    throw HttpException.badRequest("'*' is a target for OPTIONS only");
                }
                r.rawPath = "*";
                r.path = "*";
                return;
            }
            // absolute-form: scheme "://" authority path-abempty; the path is what routing needs.
            String t = r.target;
            int scheme = t.indexOf("://");
            if (scheme <= 0 || !(t.regionMatches(true, 0, "http", 0, scheme) || t.regionMatches(true, 0, "https", 0, scheme))) {
                throw HttpException.badRequest("request-target must be a path or an absolute http URI");
            }
            int slash = t.indexOf('/', scheme + 3);
            int q = queryAt < 0 ? t.length() : queryAt - start;
            if (slash < 0 || slash > q) {
                pathStart = -1; // empty path: "/"
            } else {
                pathStart = start + slash;
            }
        }
        if (queryAt >= 0) {
            r.query = ascii(b, queryAt + 1, end - queryAt - 1);
        }
        if (pathStart < 0) {
            r.rawPath = "/";
            r.path = "/";
            return;
        }
        r.rawPath = pathStart == start && pathEnd == end ? r.target : ascii(b, pathStart, pathEnd - pathStart);
        r.path = hasPercent ? percentDecode(r.rawPath) : r.rawPath;
    }

    /** Percent-decodes a path as UTF-8; malformed escapes or bytes that are not UTF-8 are a 400. */
    static String percentDecode(String raw) {
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        byte[] out = new byte[raw.length()];
        int n = 0;
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    throw HttpException.badRequest("truncated percent-escape in the path");
                }
                int hi = HttpChars.hexValue((byte) raw.charAt(i + 1));
                int lo = HttpChars.hexValue((byte) raw.charAt(i + 2));
                if (hi < 0 || lo < 0) {
                    throw HttpException.badRequest("malformed percent-escape in the path");
                }
                out[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else {
                out[n++] = (byte) c;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(out, 0, n)).toString();
        } catch (CharacterCodingException e) {
            throw HttpException.badRequest("percent-decoded path is not UTF-8");
        }
    }

    /** Parses the fields from {@code i} to the head's empty line into {@code h}. */
    static void parseFields(MemorySegment b, int n, int i, ParsedHeaders h, HttpLimits limits) {
        while (true) {
            if (i >= n) {
                throw HttpException.badRequest("head without an empty line");
            }
            byte c = b.get(ValueLayout.JAVA_BYTE, i);
            if (c == '\r' || c == '\n') {
                lineEnd(b, n, i, "at the end of the head");
                return;
            }
            if (c == ' ' || c == '\t') {
                throw HttpException.badRequest("obsolete line folding is not accepted");
            }
            int nameStart = i;
            while (i < n && HttpChars.isTchar(b.get(ValueLayout.JAVA_BYTE, i))) {
                i++;
            }
            if (i >= n || b.get(ValueLayout.JAVA_BYTE, i) != ':') {
                throw HttpException.badRequest("malformed header field name");
            }
            int nameLen = i - nameStart;
            i++;
            while (i < n && isOws(b.get(ValueLayout.JAVA_BYTE, i))) {
                i++;
            }
            int valueStart = i;
            int valueEnd = i;
            while (i < n) {
                c = b.get(ValueLayout.JAVA_BYTE, i);
                if (c == '\r' || c == '\n') {
                    break;
                }
                if (!HttpChars.isFieldChar(c)) {
                    throw HttpException.badRequest("control character in a header field value");
                }
                i++;
                if (!isOws(c)) {
                    valueEnd = i;
                }
            }
            i = lineEnd(b, n, i, "after a header field");
            if (h.size() >= limits.maxHeaderCount()) {
                throw new HttpException(HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "more than " + limits.maxHeaderCount()
                        + " header fields");
            }
            h.add(nameStart, nameLen, valueStart, valueEnd - valueStart);
        }
    }

    private static boolean isOws(byte c) {
        return c == ' ' || c == '\t';
    }

    private void decideFraming(MemorySegment b, Request r) {
        ParsedHeaders h = r.headers;
        boolean http11 = r.versionMinor == 1;
        int hosts = 0;
        long length = -1;
        boolean te = false;
        boolean close = false;
        boolean keepAliveToken = false;
        boolean upgradeToken = false;
        boolean upgradeField = false;
        for (int k = 0; k < h.size(); k++) {
            int len = h.valueLength(k);
            int vs = h.valueStart(k);
            if (h.nameIs(k, "host")) {
                hosts++;
            } else if (h.nameIs(k, "content-length")) {
                length = contentLength(b, vs, len, length);
            } else if (h.nameIs(k, "transfer-encoding")) {
                String v = h.value(k);
                if (!r.chunked && isChunkedOnly(v)) {
                    r.chunked = true;
                } else if (Headers.listContains(v, "chunked") && r.chunked) {
                    throw HttpException.badRequest("chunked applied twice");
                } else {
                    throw new HttpException(HttpStatus.NOT_IMPLEMENTED, "transfer coding '" + v + "' is not implemented");
                }
                te = true;
            } else if (h.nameIs(k, "connection")) {
                String v = h.value(k);
                close |= Headers.listContains(v, "close");
                keepAliveToken |= Headers.listContains(v, "keep-alive");
                upgradeToken |= Headers.listContains(v, "upgrade");
            } else if (h.nameIs(k, "expect")) {
                if (!h.value(k).equalsIgnoreCase("100-continue")) {
                    throw new HttpException(HttpStatus.EXPECTATION_FAILED, "unknown expectation '" + h.value(k) + "'");
                }
                r.expectContinue = http11;
            } else if (h.nameIs(k, "upgrade")) {
                upgradeField = true;
            }
        }
        if (http11 && hosts == 0) {
            throw HttpException.badRequest("HTTP/1.1 request without Host");
        }
        if (hosts > 1) {
            throw HttpException.badRequest("more than one Host field");
        }
        if (te && length >= 0) {
            throw HttpException.badRequest("both Content-Length and Transfer-Encoding");
        }
        if (te && !http11) {
            throw HttpException.badRequest("Transfer-Encoding in an HTTP/1.0 request");
        }
        if (length > limits.maxBodyBytes()) {
            throw new HttpException(HttpStatus.CONTENT_TOO_LARGE, "body of " + length + " bytes exceeds the limit of "
                    + limits.maxBodyBytes());
        }
        r.contentLength = Math.max(length, 0);
        r.keepAlive = http11 ? !close : keepAliveToken && !close;
        r.upgrade = upgradeToken && upgradeField;
        if (!r.chunked && r.contentLength == 0) {
            r.expectContinue = false;
        }
    }

    private static boolean isChunkedOnly(String v) {
        String t = v.strip();
        return t.equalsIgnoreCase("chunked");
    }

    /** Parses a Content-Length value (a list of equal values is allowed, RFC 9110 §8.6). */
    private static long contentLength(MemorySegment b, int start, int len, long previous) {
        long value = -1;
        int k = 0;
        while (k <= len) {
            int e = k;
            while (e < len && b.get(ValueLayout.JAVA_BYTE, start + e) != ',') {
                e++;
            }
            int s = k;
            int t = e;
            while (s < t && isOws(b.get(ValueLayout.JAVA_BYTE, start + s))) {
                s++;
            }
            while (t > s && isOws(b.get(ValueLayout.JAVA_BYTE, start + t - 1))) {
                t--;
            }
            if (s == t) {
                throw HttpException.badRequest("malformed Content-Length");
            }
            if (t - s > 18) {
                throw new HttpException(HttpStatus.CONTENT_TOO_LARGE, "Content-Length out of range");
            }
            long v = 0;
            for (int j = s; j < t; j++) {
                byte c = b.get(ValueLayout.JAVA_BYTE, start + j);
                if (c < '0' || c > '9') {
                    throw HttpException.badRequest("malformed Content-Length");
                }
                v = v * 10 + (c - '0');
            }
            if (value >= 0 && value != v) {
                throw HttpException.badRequest("conflicting Content-Length values");
            }
            value = v;
            k = e + 1;
        }
        if (previous >= 0 && previous != value) {
            throw HttpException.badRequest("conflicting Content-Length fields");
        }
        return value;
    }

    static String ascii(MemorySegment b, int start, int len) {
        byte[] a = new byte[len];
        MemorySegment.copy(b, ValueLayout.JAVA_BYTE, start, a, 0, len);
        return new String(a, StandardCharsets.ISO_8859_1);
    }
}
