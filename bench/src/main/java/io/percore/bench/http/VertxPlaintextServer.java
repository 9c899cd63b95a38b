package io.percore.bench.http;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The Vert.x 5 peer of {@code ./percore bench http}: one event loop, the native transport when present (as
 * TechEmpower's Vert.x entry asks for), a request handler ending each response with a constant "Hello, World!"
 * buffer and constant headers, the Date refreshed once a second. Usage: {@code VertxPlaintextServer PORT}.
 */
public final class VertxPlaintextServer {
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    /** Read and written on the one event loop only. */
    private static String date = HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC));

    private VertxPlaintextServer() {}

    /** Runs until killed. */
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setPreferNativeTransport(true));
        Buffer hello = Buffer.buffer("Hello, World!");
        vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port).setTcpNoDelay(true)
                        .setAcceptBacklog(8192))
                .requestHandler(req -> req.response()
                        .putHeader("Content-Type", "text/plain")
                        .putHeader("Server", "vertx")
                        .putHeader("Date", date)
                        .end(hello))
                .listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        vertx.setPeriodic(1000, id -> date = HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC)));
        System.out.println("listening " + port + " native " + vertx.isNativeTransportEnabled());
        Thread.currentThread().join();
    }
}
