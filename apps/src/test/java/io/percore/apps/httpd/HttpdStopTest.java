package io.percore.apps.httpd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.ReactorConfig;
import io.percore.http.HttpServer;
import io.percore.http.HttpServerConfig;
import io.percore.http.Response;
import io.percore.http.Router;
import io.percore.net.ListenOptions;
import io.percore.net.Network;
import io.percore.net.SocketAddress;
import io.percore.smp.Sharded;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Orderly stop over real TCP on two shards, on every reactor backend: idle connections close, busy ones finish,
 * then nothing listens. The balancer puts the two connections on different shards, so the stop of one shard's
 * server must not wait for the other's request before it closes its idle connection (it did: see
 * {@code HttpServer}'s class comment on servers started together).
 */
class HttpdStopTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"epoll", "io_uring", "linux-aio"})
    void stopFinishesInFlightRequestsClosesIdleOnesAndStopsListening(String backend) throws Exception {
        ReactorConfig d = ReactorConfig.defaults();
        Smp smp = Smp.start(SmpConfig.of(2, new ReactorConfig(d.taskQuotaNanos(), d.idlePollNanos(), d.pollMode(),
                d.blockedNotifyNanos(), backend, d.memoryPerShard())), r -> {});
        // One promise per shard, completed on its shard, to hold /slow requests until the test lets them go.
        Promise<?>[] gates = new Promise<?>[2];
        try {
            Sharded<HttpServer> servers = smp.submitExternal(0, () -> HttpServer.startOnAllShards(SocketAddress.of("127.0.0.1", 0),
                    ListenOptions.defaults(), HttpServerConfig.defaults().withStopGrace(Duration.ofSeconds(10)), Network::stack,
                    shard -> {
                        Promise<Void> gate = new Promise<>();
                        gates[shard] = gate;
                        return new Router().get("/", r -> Future.ready(Response.text("hi\n")))
                                .get("/slow", r -> gate.map(v -> Response.text("slow done\n")));
                    })).get(20, TimeUnit.SECONDS);
            int port = smp.submitExternal(0, () -> Future.ready(servers.local().localAddresses().get(0).port())).get(10, TimeUnit.SECONDS);
            try (Socket idle = new Socket("127.0.0.1", port); Socket busy = new Socket("127.0.0.1", port)) {
                idle.setSoTimeout(15_000);
                busy.setSoTimeout(15_000);
                idle.getOutputStream().write("GET / HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertTrue(readSome(idle.getInputStream()).endsWith("hi\n"));
                busy.getOutputStream().write("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                // Stop only once the server has the slow request (on a loaded machine this can take a while).
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                long requests;
                while ((requests = smp.submitExternal(0, () -> servers.mapReduce(s -> Future.ready(s.stats().requests()), 0L, Long::sum))
                        .get(10, TimeUnit.SECONDS)) < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(2, requests, "the servers have both requests");
                CompletableFuture<Void> stopped = smp.submitExternal(0, servers::stop);
                // The idle connection is closed by the server at once, long before the stop grace of 10 s.
                long stopAt = System.nanoTime();
                assertEquals(-1, idle.getInputStream().read());
                long idleClosedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopAt);
                assertTrue(idleClosedMs < 5000, () -> "the idle connection closed only after " + idleClosedMs + " ms");
                Thread.sleep(200);
                assertTrue(!stopped.isDone(), () -> "stop must wait for the request in flight; it ended: "
                        + stopped.handle((v, e) -> e == null ? "normally" : e.toString()).join());
                boolean refused = false;
                try (Socket late = new Socket("127.0.0.1", port)) {
                    late.setSoTimeout(5000);
                    refused = late.getInputStream().read() == -1;
                } catch (ConnectException e) {
                    refused = true;
                }
                assertTrue(refused, "a new connection must not be served once stopping");
                smp.invokeOnAllExternal(id -> {
                    @SuppressWarnings("unchecked")
                    Promise<Void> g = (Promise<Void>) gates[id];
                    g.setValue(null);
                    return Future.done();
                }).get(10, TimeUnit.SECONDS);
                String answer = new String(busy.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(answer.startsWith("HTTP/1.1 200 OK\r\n") && answer.contains("Connection: close\r\n")
                        && answer.endsWith("slow done\n"), answer);
                busy.shutdownOutput(); // our FIN ends the server's lingering close at once
                stopped.get(15, TimeUnit.SECONDS);
            }
        } finally {
            smp.stop();
        }
    }

    private static String readSome(InputStream in) throws Exception {
        byte[] buf = new byte[4096];
        int n = in.read(buf);
        return new String(buf, 0, Math.max(0, n), StandardCharsets.ISO_8859_1);
    }
}
