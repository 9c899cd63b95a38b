package io.percore.http;

import io.percore.memory.Buffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Removes a body's framing from input that arrives in pieces of any size: a fixed length (Content-Length) or
 * chunked transfer coding with extensions and trailers (RFC 9112 §7.1), or everything until the connection closes
 * (a response without length). Data comes out as shares of the input buffers, never copied. Owning shard thread
 * only; one per message.
 */
abstract class BodyDecoder {
    /**
     * Consumes framing and data from {@code in} (trimming its front).
     *
     * @return the next data bytes as a share of {@code in} (the caller releases it); the empty buffer when
     * {@code in} ran out before any data, or at the end
     * @throws HttpException for malformed framing (400) or a body over the limit (413)
     */
    abstract Buffer next(Buffer in);

    /** @return true once the body's end was decoded. */
    abstract boolean isDone();

    /** Marks the end of the input (the peer closed). @throws HttpException when the body is cut short */
    void endOfInput() {
        if (!isDone()) {
            throw HttpException.badRequest("connection closed in the middle of a body");
        }
    }

    /** @return the bytes still to come when the framing says (a fixed length), else 0. */
    long knownRemaining() {
        return 0;
    }

    /** @return the trailer fields of a chunked body once done, or null. */
    HttpHeaders trailers() {
        return null;
    }

    /** @return a decoder of exactly {@code length} bytes. */
    static BodyDecoder fixed(long length) {
        return new Fixed(length);
    }

    /** @return a chunked decoder bounded by {@code limits}. */
    static BodyDecoder chunked(HttpLimits limits) {
        return new Chunked(limits);
    }

    /** @return a decoder that takes everything until end of input (responses only). */
    static BodyDecoder untilClose() {
        return new UntilClose();
    }

    private static final class Fixed extends BodyDecoder {
        private long remaining;

        Fixed(long length) {
            this.remaining = length;
        }

        @Override
        Buffer next(Buffer in) {
            if (remaining == 0 || in.isEmpty()) {
                return Buffer.empty();
            }
            int n = (int) Math.min(remaining, in.length());
            Buffer piece = in.share(0, n);
            in.trimFront(n);
            remaining -= n;
            return piece;
        }

        @Override
        boolean isDone() {
            return remaining == 0;
        }

        @Override
        long knownRemaining() {
            return remaining;
        }
    }

    private static final class UntilClose extends BodyDecoder {
        private boolean ended;

        @Override
        Buffer next(Buffer in) {
            if (in.isEmpty()) {
                return Buffer.empty();
            }
            Buffer piece = in.share();
            in.trimFront(in.length());
            return piece;
        }

        @Override
        boolean isDone() {
            return ended;
        }

        @Override
        void endOfInput() {
            ended = true;
        }
    }

    /** Chunked coding as a byte-level state machine. */
    private static final class Chunked extends BodyDecoder {
        private static final int SIZE_FIRST = 0;
        private static final int SIZE = 1;
        private static final int SIZE_WS = 2;
        private static final int EXT = 3;
        private static final int SIZE_LF = 4;
        private static final int DATA = 5;
        private static final int DATA_CR = 6;
        private static final int DATA_LF = 7;
        private static final int TRAILER = 8;
        private static final int DONE = 9;
        /** Bytes allowed in one chunk-size line, extensions included. */
        private static final int MAX_SIZE_LINE = 4096;

        private final HttpLimits limits;
        private int state = SIZE_FIRST;
        private long chunkRemaining;
        private long total;
        private int lineBytes;
        private boolean sawCr;
        /** The trailer line being read, and all trailer bytes so far. */
        private StringBuilder trailerLine;
        private int trailerBytes;
        private HttpHeaders trailers;

        Chunked(HttpLimits limits) {
            this.limits = limits;
        }

        @Override
        boolean isDone() {
            return state == DONE;
        }

        @Override
        HttpHeaders trailers() {
            return trailers;
        }

        @Override
        Buffer next(Buffer in) {
            while (!in.isEmpty() && state != DONE) {
                if (state == DATA) {
                    int n = (int) Math.min(chunkRemaining, in.length());
                    Buffer piece = in.share(0, n);
                    in.trimFront(n);
                    chunkRemaining -= n;
                    if (chunkRemaining == 0) {
                        state = DATA_CR;
                    }
                    return piece;
                }
                MemorySegment seg = in.segment();
                int n = in.length();
                int i = 0;
                while (i < n && state != DATA && state != DONE) {
                    step(seg.get(ValueLayout.JAVA_BYTE, i));
                    i++;
                }
                in.trimFront(i);
            }
            return Buffer.empty();
        }

        private void step(byte b) {
            switch (state) {
                case SIZE_FIRST, SIZE -> {
                    int h = HttpChars.hexValue(b);
                    if (h >= 0) {
                        if (chunkRemaining > (Long.MAX_VALUE >> 5)) {
                            throw new HttpException(HttpStatus.CONTENT_TOO_LARGE, "chunk size out of range");
                        }
                        chunkRemaining = (chunkRemaining << 4) | h;
                        state = SIZE;
                    } else if (state == SIZE_FIRST) {
                        throw HttpException.badRequest("chunk size expected");
                    } else if (b == ';') {
                        state = EXT;
                    } else if (b == ' ' || b == '\t') {
                        state = SIZE_WS;
                    } else {
                        endOfSizeLine(b);
                    }
                    countLine();
                }
                case SIZE_WS -> {
                    if (b == ';') {
                        state = EXT;
                    } else if (b != ' ' && b != '\t') {
                        endOfSizeLine(b);
                    }
                    countLine();
                }
                case EXT -> {
                    if (b == '\r' || b == '\n') {
                        endOfSizeLine(b);
                    } else if (!HttpChars.isFieldChar(b)) {
                        throw HttpException.badRequest("control character in a chunk extension");
                    }
                    countLine();
                }
                case SIZE_LF -> {
                    if (b != '\n') {
                        throw HttpException.badRequest("CR without LF after a chunk size");
                    }
                    sizeLineDone();
                }
                case DATA_CR -> {
                    if (b == '\r') {
                        state = DATA_LF;
                    } else if (b == '\n') {
                        state = SIZE_FIRST;
                    } else {
                        throw HttpException.badRequest("chunk data longer than its size");
                    }
                }
                case DATA_LF -> {
                    if (b != '\n') {
                        throw HttpException.badRequest("CR without LF after chunk data");
                    }
                    state = SIZE_FIRST;
                }
                case TRAILER -> trailerByte(b);
                default -> throw new IllegalStateException("chunk decoder in state " + state);
            }
        }

        private void countLine() {
            if (++lineBytes > MAX_SIZE_LINE) {
                throw HttpException.badRequest("chunk-size line longer than " + MAX_SIZE_LINE + " bytes");
            }
        }

        private void endOfSizeLine(byte b) {
            if (b == '\r') {
                state = SIZE_LF;
            } else if (b == '\n') {
                sizeLineDone();
            } else {
                throw HttpException.badRequest("unexpected byte 0x" + Integer.toHexString(b & 0xff) + " in a chunk-size line");
            }
        }

        private void sizeLineDone() {
            lineBytes = 0;
            if (chunkRemaining == 0) {
                state = TRAILER;
                trailerLine = new StringBuilder();
                return;
            }
            total += chunkRemaining;
            if (total > limits.maxBodyBytes() || total < 0) {
                throw new HttpException(HttpStatus.CONTENT_TOO_LARGE, "chunked body longer than " + limits.maxBodyBytes() + " bytes");
            }
            state = DATA;
        }

        private void trailerByte(byte b) {
            if (++trailerBytes > limits.maxHeaderBytes()) {
                throw new HttpException(HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "trailers longer than " + limits.maxHeaderBytes() + " bytes");
            }
            if (b == '\n') {
                sawCr = false;
                int len = trailerLine.length();
                if (len > 0 && trailerLine.charAt(len - 1) == '\r') {
                    trailerLine.setLength(--len);
                }
                if (len == 0) {
                    state = DONE;
                    trailerLine = null;
                    return;
                }
                addTrailer(trailerLine);
                trailerLine.setLength(0);
                return;
            }
            if (sawCrInLine(b)) {
                throw HttpException.badRequest("CR without LF in a trailer");
            }
            trailerLine.append((char) (b & 0xff));
        }

        /** A CR is allowed only as the last byte before LF. */
        private boolean sawCrInLine(byte b) {
            boolean bad = sawCr;
            sawCr = b == '\r';
            return bad;
        }

        private void addTrailer(CharSequence line) {
            int colon = -1;
            for (int i = 0; i < line.length(); i++) {
                char c = line.charAt(i);
                if (c == ':') {
                    colon = i;
                    break;
                }
                if (c > 127 || !HttpChars.isTchar((byte) c)) {
                    throw HttpException.badRequest("malformed trailer field name");
                }
            }
            if (colon <= 0) {
                throw HttpException.badRequest("trailer field without a name and colon");
            }
            int s = colon + 1;
            int e = line.length();
            while (s < e && Headers.isOws(line.charAt(s))) {
                s++;
            }
            while (e > s && Headers.isOws(line.charAt(e - 1))) {
                e--;
            }
            for (int i = s; i < e; i++) {
                char c = line.charAt(i);
                if (!HttpChars.isFieldChar((byte) c)) {
                    throw HttpException.badRequest("control character in a trailer value");
                }
            }
            if (trailers == null) {
                trailers = new HttpHeaders();
            }
            if (trailers.size() >= limits.maxHeaderCount()) {
                throw new HttpException(HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "too many trailer fields");
            }
            trailers.add(line.subSequence(0, colon).toString(), line.subSequence(s, e).toString());
        }
    }
}
