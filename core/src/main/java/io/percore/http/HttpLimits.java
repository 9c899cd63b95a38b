package io.percore.http;

/**
 * The limits a parser holds a peer to, each with the status a server answers when it is crossed.
 *
 * @param maxRequestLine  bytes in the request line (method, target, version) or a response's status line;
 *                        longer: 414 URI Too Long
 * @param maxHeaderBytes  bytes in the whole head (request line and fields), and separately in a chunked body's
 *                        trailers; more: 431 Request Header Fields Too Large
 * @param maxHeaderCount  header fields in a head; more: 431
 * @param maxBodyBytes    bytes of a body, declared or chunked; more: 413 Content Too Large
 */
public record HttpLimits(int maxRequestLine, int maxHeaderBytes, int maxHeaderCount, long maxBodyBytes) {
    public HttpLimits {
        if (maxRequestLine < 16 || maxHeaderBytes < maxRequestLine || maxHeaderCount < 1 || maxBodyBytes < 0) {
            throw new IllegalArgumentException("limits out of range: request line " + maxRequestLine + ", head "
                    + maxHeaderBytes + ", fields " + maxHeaderCount + ", body " + maxBodyBytes);
        }
    }

    /** @return 8 KiB request line, 16 KiB head, 100 fields, 16 MiB body. */
    public static HttpLimits defaults() {
        return new HttpLimits(8 << 10, 16 << 10, 100, 16L << 20);
    }

    /** @return these limits with another body limit. */
    public HttpLimits withMaxBodyBytes(long bytes) {
        return new HttpLimits(maxRequestLine, maxHeaderBytes, maxHeaderCount, bytes);
    }
}
