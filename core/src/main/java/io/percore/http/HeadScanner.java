package io.percore.http;

import io.percore.memory.Buffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Finds the end of a message head (the empty line after the fields) in input that arrives in pieces of any size,
 * down to one byte, and hands back the whole head as one contiguous buffer for the head parser.
 *
 * <p>Zero copy in the common case: when a head lies inside one received buffer, the result is a
 * {@linkplain Buffer#share(int, int) share} of that buffer. Only a head that crosses a read boundary is copied,
 * piece by piece, into one buffer of at most {@code maxHead} bytes. The scan keeps its place between calls, so no
 * byte is looked at twice. Limits are checked as bytes arrive, before the end is seen: an over-long first line
 * fails with {@code firstLineStatus} (414 for a request), an over-long head with 431.
 *
 * <p>Empty lines before a request line are skipped, as RFC 9112 §2.2 asks of a robust server (a client may send
 * CRLF after a body). One instance per connection; owning shard thread only.
 */
final class HeadScanner {
    private final int maxFirstLine;
    private final int maxHead;
    private final int firstLineStatus;

    /** The head so far, when it crosses buffers; null while the head lies in the current buffer. */
    private Buffer partial;
    private int partialLength;
    /** Bytes of the current line so far, the CR included. */
    private int lineLength;
    private byte lastByte;
    private int lines;
    private boolean started;
    private int skipped;

    HeadScanner(int maxFirstLine, int maxHead, int firstLineStatus) {
        this.maxFirstLine = maxFirstLine;
        this.maxHead = maxHead;
        this.firstLineStatus = firstLineStatus;
    }

    /** @return true when part of a head (not only skipped empty lines) has arrived. */
    boolean inProgress() {
        return started;
    }

    /**
     * Consumes bytes of {@code in} (trimming them off its front) until a head is complete or {@code in} is empty.
     *
     * @return the complete head, ending with its empty line, which the caller owns and releases; null when
     * {@code in} ran out first (its bytes are kept here)
     * @throws HttpException when a limit is crossed or too many empty lines come first
     */
    Buffer scan(Buffer in) {
        int n = in.length();
        if (n == 0) {
            return null;
        }
        MemorySegment seg = in.segment();
        int i = 0;
        if (!started) {
            while (i < n) {
                byte b = seg.get(ValueLayout.JAVA_BYTE, i);
                if (b != '\r' && b != '\n') {
                    break;
                }
                i++;
            }
            skipped += i;
            if (skipped > maxFirstLine) {
                throw HttpException.badRequest("too many empty lines before the request line");
            }
            if (i == n) {
                in.trimFront(n);
                return null;
            }
            started = true;
        }
        int start = i;
        int headSoFar = partialLength - start; // + (i + 1) gives the head length up to byte i
        int lineLen = lineLength;
        byte last = lastByte;
        for (; i < n; i++) {
            byte b = seg.get(ValueLayout.JAVA_BYTE, i);
            if (b == '\n') {
                if (lineLen == 0 || (lineLen == 1 && last == '\r')) {
                    return finish(in, start, i + 1);
                }
                lines++;
                lineLen = 0;
            } else {
                lineLen++;
                if (lines == 0 && lineLen > maxFirstLine) {
                    throw new HttpException(firstLineStatus, "first line longer than " + maxFirstLine + " bytes");
                }
            }
            last = b;
            if (headSoFar + i + 1 > maxHead) {
                throw new HttpException(HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                        "head longer than " + maxHead + " bytes");
            }
        }
        lineLength = lineLen;
        lastByte = last;
        keep(in, start, n);
        in.trimFront(n);
        return null;
    }

    private Buffer finish(Buffer in, int start, int end) {
        Buffer head;
        if (partial == null) {
            head = in.share(start, end - start);
        } else {
            keep(in, start, end);
            head = partial;
            head.trim(partialLength);
            partial = null;
        }
        in.trimFront(end);
        reset();
        return head;
    }

    /** Copies {@code in[start, end)} after the head kept so far. */
    private void keep(Buffer in, int start, int end) {
        if (end == start) {
            return;
        }
        if (partial == null) {
            partial = Buffer.allocate(maxHead);
            partialLength = 0;
        }
        MemorySegment.copy(in.segment(), start, partial.segment(), partialLength, end - start);
        partialLength += end - start;
    }

    /** Forgets the head in progress (after a complete one, or to drop a connection's state). */
    void reset() {
        if (partial != null) {
            partial.release();
            partial = null;
        }
        partialLength = 0;
        lineLength = 0;
        lastByte = 0;
        lines = 0;
        started = false;
        skipped = 0;
    }
}
