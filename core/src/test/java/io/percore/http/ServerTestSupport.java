package io.percore.http;

import io.percore.core.Future;
import io.percore.net.ListenOptions;
import io.percore.net.SocketAddress;

/** Starts a server over a {@link FakeNet} for one test and stops it after. Shard thread only. */
final class ServerTestSupport {
    private ServerTestSupport() {}

    /** What a test body gets. */
    record Env(FakeNet net, HttpServer server, SocketAddress address) {}

    @FunctionalInterface
    interface Body<T> {
        Future<T> run(Env env) throws Exception;
    }

    static <T> Future<T> withServer(Handler handler, HttpServerConfig config, Body<T> body) {
        return withServer(new FakeNet(), handler, config, body);
    }

    static <T> Future<T> withServer(FakeNet net, Handler handler, HttpServerConfig config, Body<T> body) {
        HttpServer server = new HttpServer(handler, config);
        SocketAddress address = server.listen(net, SocketAddress.of("127.0.0.1", 0), ListenOptions.defaults());
        Env env = new Env(net, server, address);
        return Future.of(() -> {
            try {
                return body.run(env);
            } catch (Exception e) {
                return Future.failed(e);
            }
        }).finallyDoAsync(server::stop);
    }

    /** A router with the routes most tests use. */
    static Router testRouter() {
        return new Router()
                .get("/", r -> Future.ready(Response.text("hello\n")))
                .get("/users/{id}", r -> Future.ready(Response.text("user " + r.pathParam("id") + "\n")))
                .get("/users/{id}/posts/{post}", r -> Future.ready(Response.text(r.pathParam("id") + "/" + r.pathParam("post") + "\n")))
                .get("/files/*", r -> Future.ready(Response.text("file " + r.pathParam("*") + "\n")))
                .get("/users/me", r -> Future.ready(Response.text("me\n")))
                .post("/echo", r -> r.body().readAll(1 << 20).map(b -> Response.buffer(200, "application/octet-stream", b)))
                .put("/ignore", r -> Future.ready(Response.text("ignored\n")))
                .get("/fail", r -> {
                    throw new IllegalStateException("handler bug");
                })
                .get("/forbidden", r -> Future.failed(new HttpException(403, "no")))
                .get("/stream", r -> Future.ready(Response.stream(200, "text/plain", -1, out ->
                        out.write("one,").then(() -> out.write("two,")).then(() -> out.write("three")))));
    }
}
