package io.percore.http;

import java.nio.charset.StandardCharsets;

/**
 * HTTP status codes this package uses by name, their reason phrases, and the pre-encoded status lines the
 * server writes (so answering "200 OK" copies bytes instead of formatting text). Immutable; any thread.
 */
public final class HttpStatus {
    private HttpStatus() {}

    public static final int CONTINUE = 100;
    public static final int SWITCHING_PROTOCOLS = 101;
    public static final int OK = 200;
    public static final int CREATED = 201;
    public static final int NO_CONTENT = 204;
    public static final int PARTIAL_CONTENT = 206;
    public static final int MOVED_PERMANENTLY = 301;
    public static final int FOUND = 302;
    public static final int NOT_MODIFIED = 304;
    public static final int BAD_REQUEST = 400;
    public static final int FORBIDDEN = 403;
    public static final int NOT_FOUND = 404;
    public static final int METHOD_NOT_ALLOWED = 405;
    public static final int REQUEST_TIMEOUT = 408;
    public static final int LENGTH_REQUIRED = 411;
    public static final int PRECONDITION_FAILED = 412;
    public static final int CONTENT_TOO_LARGE = 413;
    public static final int URI_TOO_LONG = 414;
    public static final int RANGE_NOT_SATISFIABLE = 416;
    public static final int EXPECTATION_FAILED = 417;
    public static final int UPGRADE_REQUIRED = 426;
    public static final int REQUEST_HEADER_FIELDS_TOO_LARGE = 431;
    public static final int INTERNAL_SERVER_ERROR = 500;
    public static final int NOT_IMPLEMENTED = 501;
    public static final int SERVICE_UNAVAILABLE = 503;
    public static final int HTTP_VERSION_NOT_SUPPORTED = 505;

    private static final byte[][] STATUS_LINES_11 = new byte[600][];

    static {
        for (int code = 100; code < 600; code++) {
            String reason = reasonOrNull(code);
            if (reason != null) {
                STATUS_LINES_11[code] = ("HTTP/1.1 " + code + " " + reason + "\r\n").getBytes(StandardCharsets.US_ASCII);
            }
        }
    }

    /** @return the reason phrase of {@code code}, or "Status N" for a code this table does not name. */
    public static String reason(int code) {
        String r = reasonOrNull(code);
        return r != null ? r : "Status " + code;
    }

    /**
     * @return "HTTP/1.1 code reason\r\n" as bytes (shared: do not modify)
     * @throws IllegalArgumentException for a code outside 100..599
     */
    static byte[] statusLine(int code) {
        if (code < 100 || code > 599) {
            throw new IllegalArgumentException("status code out of range: " + code);
        }
        byte[] line = STATUS_LINES_11[code];
        if (line == null) {
            line = ("HTTP/1.1 " + code + " " + reason(code) + "\r\n").getBytes(StandardCharsets.US_ASCII);
        }
        return line;
    }

    private static String reasonOrNull(int code) {
        return switch (code) {
            case 100 -> "Continue";
            case 101 -> "Switching Protocols";
            case 200 -> "OK";
            case 201 -> "Created";
            case 202 -> "Accepted";
            case 204 -> "No Content";
            case 206 -> "Partial Content";
            case 301 -> "Moved Permanently";
            case 302 -> "Found";
            case 303 -> "See Other";
            case 304 -> "Not Modified";
            case 307 -> "Temporary Redirect";
            case 308 -> "Permanent Redirect";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 411 -> "Length Required";
            case 412 -> "Precondition Failed";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 415 -> "Unsupported Media Type";
            case 416 -> "Range Not Satisfiable";
            case 417 -> "Expectation Failed";
            case 426 -> "Upgrade Required";
            case 429 -> "Too Many Requests";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            case 505 -> "HTTP Version Not Supported";
            default -> null;
        };
    }

    /** @return true when a response with this status never has a body (1xx, 204, 304). */
    public static boolean forbidsBody(int code) {
        return code < 200 || code == NO_CONTENT || code == NOT_MODIFIED;
    }
}
