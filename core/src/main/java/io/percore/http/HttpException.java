package io.percore.http;

/**
 * A request cannot be answered normally: carries the HTTP status the server answers with (400 for malformed
 * input, 413, 414, 431, 501, 505 for the limits, or any status a handler chooses). A handler may throw it or
 * fail its future with it; the server then writes a short plain-text response with that status. The parser
 * throws it for input it refuses, and the server then closes that connection only. Any thread.
 */
public class HttpException extends RuntimeException {
    private final int status;

    /** @param status the status to answer with, 400..599 */
    public HttpException(int status, String message) {
        super(message);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("an HttpException carries an error status (400..599), got " + status);
        }
        this.status = status;
    }

    /** @return the status the server answers with. */
    public int status() {
        return status;
    }

    /** @return a 400 Bad Request for malformed input. */
    static HttpException badRequest(String message) {
        return new HttpException(HttpStatus.BAD_REQUEST, message);
    }
}
