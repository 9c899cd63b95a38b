package io.percore.http;

import static io.percore.http.ServerTestSupport.testRouter;
import static io.percore.http.ServerTestSupport.withServer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Promise;
import io.percore.memory.Buffer;
import io.percore.net.ListenOptions;
import io.percore.net.NetException;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The client against our server over the in-memory network, and against scripted raw servers. */
class HttpClientTest extends ShardTestBase {
    @Test
    void keepAliveReusesOneConnection() throws Exception {
        String out = async(() -> withServer(testRouter(), HttpServerConfig.defaults(), env -> {
            HttpClient c = new HttpClient(env.net(), HttpClientConfig.defaults());
            StringBuilder sb = new StringBuilder();
            return Futures.doForEach(java.util.List.of("/users/1", "/users/2", "/", "/nowhere"), path ->
                            c.get(env.address(), path).flatMap(r -> r.text().map(t -> sb.append(r.status()).append(' ').append(t))))
                    .map(v -> sb + "opened " + c.connectionsOpened() + ", idle " + c.idleConnections(env.address()))
                    .finallyDoAsync(c::stop);
        }));
        assertEquals("200 user 1\n200 user 2\n200 hello\n404 not found\nopened 1, idle 1", out);
    }

    @Test
    void bodiesBothWays() throws Exception {
        String out = async(() -> withServer(testRouter(), HttpServerConfig.defaults(), env -> {
            HttpClient c = new HttpClient(env.net(), HttpClientConfig.defaults());
            SocketAddress a = env.address();
            return c.send(a, ClientRequest.of("POST", "/echo").body("fixed body")).flatMap(ClientResponse::text)
                    .flatMap(t1 -> c.send(a, ClientRequest.of("POST", "/echo").body(-1, w ->
                                    w.write("chunk one ").then(() -> w.write("chunk two"))))
                            .flatMap(ClientResponse::text).map(t2 -> t1 + "|" + t2))
                    .flatMap(t -> c.send(a, ClientRequest.of("POST", "/echo").body(Buffer.copyOf("buffer"))).flatMap(ClientResponse::text)
                            .map(t3 -> t + "|" + t3))
                    .flatMap(t -> c.get(a, "/stream").flatMap(r -> r.text().map(t4 -> t + "|" + r.header("transfer-encoding") + ":" + t4)))
                    .flatMap(t -> c.send(a, ClientRequest.of("HEAD", "/")).flatMap(r -> r.text().map(t5 -> t + "|HEAD "
                            + r.header("Content-Length") + " '" + t5 + "'")))
                    .map(t -> t + "|opened " + c.connectionsOpened())
                    .finallyDoAsync(c::stop);
        }));
        assertEquals("fixed body|chunk one chunk two|buffer|chunked:one,two,three|HEAD 6 ''|opened 1", out);
    }

    @Test
    void requestTimeoutAndRefusedConnect() throws Exception {
        String out = async(() -> {
            Router r = new Router().get("/never", req -> new Promise<>());
            return withServer(r, HttpServerConfig.defaults().withStopGrace(Duration.ofMillis(100)), env -> {
                HttpClient c = new HttpClient(env.net(), HttpClientConfig.defaults().withRequestTimeout(Duration.ofMillis(150)));
                return c.get(env.address(), "/never").handle((resp, e) -> e.getClass().getSimpleName())
                        .flatMap(t -> c.get(SocketAddress.of("127.0.0.1", 1), "/").handle((resp, e) -> t + " " + e.getClass().getSimpleName()))
                        .finallyDoAsync(c::stop);
            });
        });
        assertEquals("TimedOut ConnectionRefused", out);
    }

    @Test
    void aPooledConnectionClosedByTheServerIsReplacedTransparently() throws Exception {
        String out = async(() -> withServer(testRouter(), HttpServerConfig.defaults().withIdleTimeout(Duration.ofMillis(150)), env -> {
            HttpClient c = new HttpClient(env.net(), HttpClientConfig.defaults());
            return c.get(env.address(), "/users/1").flatMap(ClientResponse::text)
                    .then(() -> io.percore.core.Timer.sleep(Duration.ofMillis(600)))
                    .then(() -> c.get(env.address(), "/users/2")).flatMap(ClientResponse::text)
                    .map(t -> t + "opened " + c.connectionsOpened())
                    .finallyDoAsync(c::stop);
        }));
        assertEquals("user 2\nopened 2", out);
    }

    /** A scripted server: answers the first request on each connection with {@code reply}, then closes. */
    private static Future<String> againstRaw(String reply, ClientRequest request) {
        FakeNet net = new FakeNet();
        ServerSocket l = net.listen(SocketAddress.of("127.0.0.1", 0), ListenOptions.defaults());
        l.accept().flatMap(a -> Raw.readUntil(a.socket(), t -> t.contains("\r\n\r\n"))
                .flatMap(t -> a.socket().output().write(Buffer.copyOf(Raw.bytes(reply))))
                .then(() -> a.socket().output().close()).then(() -> a.socket().close())).ignoreFailure();
        HttpClient c = new HttpClient(net, HttpClientConfig.defaults());
        return c.send(l.localAddress(), request).flatMap(r -> r.text().map(t -> r.status() + " " + r.reason() + " " + t))
                .handle((t, e) -> e != null ? e.getClass().getSimpleName() + ": " + e.getMessage() : t)
                .finallyDoAsync(() -> {
                    l.close();
                    return c.stop();
                });
    }

    @Test
    void responsesFramedEveryWay() throws Exception {
        assertEquals("200 OK until close", async(() -> againstRaw("HTTP/1.0 200 OK\r\n\r\nuntil close", ClientRequest.get("/"))));
        assertEquals("200 Fine abc", async(() -> againstRaw(
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 Fine\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX: y\r\n\r\n",
                ClientRequest.get("/"))));
        assertEquals("204 No Content ", async(() -> againstRaw("HTTP/1.1 204 No Content\r\n\r\n", ClientRequest.get("/"))));
        assertTrue(async(() -> againstRaw("SMTP ready\r\n\r\n", ClientRequest.get("/"))).startsWith("MalformedResponse"));
        assertTrue(async(() -> againstRaw("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", ClientRequest.get("/")))
                .startsWith("MalformedResponse"));
        assertTrue(async(() -> againstRaw("HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", ClientRequest.get("/")))
                .startsWith("MalformedResponse"));
        assertTrue(async(() -> againstRaw("", ClientRequest.get("/"))).startsWith("NetException"));
    }

    @Test
    void requestValidation() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ClientRequest.get("/a b"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ClientRequest.of("G T", "/"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> ClientRequest.get("/").header("X", "a\r\nInjected: yes"));
        assertTrue(NetException.TimedOut.class.getSimpleName().equals("TimedOut"));
    }
}
