package io.percore.http;

import io.percore.core.Async;
import io.percore.core.Future;

/**
 * Answers a request. Runs on the shard that owns the connection; returns at once with a future, or throws (a thrown
 * or failed {@link HttpException} becomes its status, anything else a 500). Requests on one connection are handled
 * one after another, so pipelined requests are answered in order.
 */
@FunctionalInterface
public interface Handler {
    /** @return the response, now or later */
    Future<Response> handle(Request request);

    /** Straight-line code: the body runs inside {@link Async#run}, so it may {@link Async#await} futures. */
    @FunctionalInterface
    interface AsyncBody {
        /** @return the response */
        Response handle(Request request) throws Exception;
    }

    /** @return a handler that runs {@code body} with {@link Async#run}. */
    static Handler async(AsyncBody body) {
        return request -> Async.run(() -> body.handle(request));
    }
}
