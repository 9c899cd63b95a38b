package io.percore.http;

import static io.percore.http.ServerTestSupport.testRouter;
import static io.percore.http.ServerTestSupport.withServer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Timer;
import io.percore.memory.Buffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The server over an in-memory network: exact bytes on the wire for each protocol feature and limit. */
class HttpServerTest extends ShardTestBase {
    private static final HttpServerConfig CONFIG = HttpServerConfig.defaults();
    private static final Pattern DATE = Pattern.compile("Date: [A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT\r\n");

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n";
    }

    private static String exchange(String request) throws Exception {
        return async(() -> withServer(testRouter(), CONFIG, env -> Raw.exchange(env.net(), env.address(), request)));
    }

    @Test
    void helloHasExactHead() throws Exception {
        String out = exchange(get("/"));
        assertTrue(out.startsWith("HTTP/1.1 200 OK\r\n"), out);
        assertTrue(DATE.matcher(out).find(), out);
        String noDate = DATE.matcher(out).replaceAll("");
        assertEquals("HTTP/1.1 200 OK\r\nServer: percore\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: 6\r\n\r\nhello\n", noDate);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderEvenByteByByte() throws Exception {
        String requests = get("/users/1") + get("/users/2") + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nabcde"
                + get("/users/3");
        for (int piece : new int[] {Integer.MAX_VALUE, 1, 7}) {
            String out = async(() -> {
                FakeNet net = new FakeNet();
                net.readPiece = piece;
                return withServer(net, testRouter(), CONFIG, env -> Raw.exchange(net, env.address(), requests));
            });
            int a = out.indexOf("user 1\n");
            int b = out.indexOf("user 2\n");
            int c = out.indexOf("abcde");
            int d = out.indexOf("user 3\n");
            assertTrue(a > 0 && a < b && b < c && c < d, "piece " + piece + ": " + out);
            assertEquals(4, Raw.count(out, "HTTP/1.1 200 OK"), out);
        }
    }

    @Test
    void keepAliveServesSequentialRequestsOnOneConnection() throws Exception {
        String out = async(() -> withServer(testRouter(), CONFIG, env -> env.net().connect(env.address()).flatMap(s -> {
            List<String> seen = new ArrayList<>();
            return s.output().write(Buffer.copyOf(get("/users/a")))
                    .then(() -> Raw.readUntil(s, t -> t.endsWith("user a\n")))
                    .flatMap(t -> {
                        seen.add(t);
                        return s.output().write(Buffer.copyOf(get("/users/b")));
                    })
                    .then(() -> Raw.readUntil(s, t -> t.endsWith("user b\n")))
                    .map(t -> {
                        seen.add(t);
                        return String.join("|", seen) + "|connections=" + env.net().connectionsMade
                                + "|opened=" + env.server().stats().connectionsOpened();
                    }).finallyDoAsync(s::close);
        })));
        assertTrue(out.contains("user a\n|") && out.endsWith("user b\n|connections=1|opened=1"), out);
        assertFalse(out.contains("Connection: close"), out);
    }

    @Test
    void http10ClosesByDefaultAndKeepsAliveWhenAsked() throws Exception {
        String closed = exchange("GET / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n");
        assertEquals(1, Raw.count(closed, "HTTP/1.1 200"), closed);
        assertFalse(closed.contains("Connection:"), closed);
        String kept = exchange("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n");
        assertEquals(2, Raw.count(kept, "HTTP/1.1 200"), kept);
        assertEquals(1, Raw.count(kept, "Connection: keep-alive\r\n"), kept);
    }

    @Test
    void connectionCloseIsHonouredAndAnswered() throws Exception {
        String out = exchange("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" + get("/"));
        assertEquals(1, Raw.count(out, "HTTP/1.1 200"), out);
        assertTrue(out.contains("Connection: close\r\n"), out);
    }

    @Test
    void headSendsTheHeadOnly() throws Exception {
        String out = exchange("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n" + get("/users/x"));
        assertTrue(out.startsWith("HTTP/1.1 200 OK\r\n"), out);
        assertTrue(out.contains("Content-Length: 6\r\n\r\nHTTP/1.1 200 OK"), out);
        assertFalse(out.contains("hello"), out);
        assertTrue(out.endsWith("user x\n"), out);
        String stream = exchange("HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n");
        assertTrue(stream.endsWith("Transfer-Encoding: chunked\r\n\r\n"), stream);
    }

    @Test
    void requestBodiesContentLengthAndChunked() throws Exception {
        String out = exchange("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world"
                + "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;x=y\r\ndefg\r\n0\r\nT: v\r\n\r\n");
        assertTrue(out.contains("Content-Length: 11\r\n\r\nhello world"), out);
        assertTrue(out.endsWith("Content-Length: 7\r\n\r\nabcdefg"), out);
    }

    @Test
    void expectContinueIsSentWhenTheHandlerReadsTheBody() throws Exception {
        String out = exchange("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
        assertTrue(out.startsWith("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"), out);
        assertTrue(out.endsWith("\r\n\r\nok"), out);
        // A handler that answers without reading: no 100, and the connection closes (the body never comes).
        String ignored = exchange("PUT /ignore HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
        assertFalse(ignored.contains("100 Continue"), ignored);
        assertTrue(ignored.contains("Connection: close\r\n"), ignored);
    }

    @Test
    void unreadBodiesAreDrainedAndTheNextRequestServed() throws Exception {
        String out = exchange("PUT /ignore HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n12345"
                + "PUT /ignore HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n" + get("/"));
        assertEquals(3, Raw.count(out, "HTTP/1.1 200"), out);
        assertTrue(out.endsWith("hello\n"), out);
    }

    @Test
    void streamedBodiesAreChunkedForHttp11AndCloseDelimitedFor10() throws Exception {
        String out = exchange(get("/stream") + get("/"));
        assertTrue(out.contains("Transfer-Encoding: chunked\r\n\r\n4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\nHTTP/1.1 200"), out);
        String old = exchange("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assertTrue(old.endsWith("\r\n\r\none,two,three"), old);
        assertFalse(old.contains("chunked") || old.contains("keep-alive"), old);
    }

    @Test
    void handlerFailuresBecomeStatusesAndKeepTheConnection() throws Exception {
        String out = exchange(get("/fail") + get("/forbidden") + get("/nowhere") + "DELETE /users/1 HTTP/1.1\r\nHost: t\r\n\r\n" + get("/"));
        assertTrue(out.startsWith("HTTP/1.1 500 Internal Server Error\r\n"), out);
        assertTrue(out.contains("HTTP/1.1 403 Forbidden\r\n"), out);
        assertTrue(out.contains("HTTP/1.1 404 Not Found\r\n"), out);
        assertTrue(out.contains("HTTP/1.1 405 Method Not Allowed\r\n") && out.contains("Allow: GET, HEAD\r\n"), out);
        assertTrue(out.endsWith("hello\n"), out);
    }

    @Test
    void routerParamsLiteralsAndWildcards() throws Exception {
        String out = exchange(get("/users/me") + get("/users/42") + get("/users/a%2Fb/posts/7") + get("/files/x/y%20z.txt")
                + get("/files/"));
        List<String> bodies = new ArrayList<>();
        for (String part : out.split("HTTP/1.1 200 OK")) {
            if (!part.isEmpty()) {
                bodies.add(part.substring(part.indexOf("\r\n\r\n") + 4));
            }
        }
        assertEquals(List.of("me\n", "user 42\n", "a/b/7\n", "file x/y z.txt\n", "file \n"), bodies);
    }

    @Test
    void malformedRequestsAreRefusedWithTheirStatusAndClose() throws Exception {
        String[][] cases = {
                {"GET / HTTP/1.1\r\nHost t\r\n\r\n", "400 Bad Request"},
                {"GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: t\r\n\r\n", "414 URI Too Long"},
                {"GET / HTTP/1.1\r\nHost: t\r\nX: " + "v".repeat(17000) + "\r\n\r\n", "431 Request Header Fields Too Large"},
                {"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999\r\n\r\n", "413 Content Too Large"},
                {"BREW / HTTP/1.1\r\nHost: t\r\n\r\n", "501 Not Implemented"},
                {"GET / HTTP/2.0\r\nHost: t\r\n\r\n", "505 HTTP Version Not Supported"},
        };
        for (String[] c : cases) {
            String out = exchange(c[0] + get("/"));
            assertTrue(out.startsWith("HTTP/1.1 " + c[1] + "\r\n"), c[1] + ": " + out);
            assertTrue(out.contains("Connection: close\r\n"), out);
            assertEquals(1, Raw.count(out, "Server: percore"), "only the refusal, then close: " + out);
        }
    }

    @Test
    void aBadRequestClosesOnlyItsOwnConnection() throws Exception {
        String out = async(() -> withServer(testRouter(), CONFIG, env -> env.net().connect(env.address()).flatMap(good ->
                good.output().write(Buffer.copyOf(get("/users/1")))
                        .then(() -> Raw.readUntil(good, t -> t.endsWith("user 1\n")))
                        .then(() -> Raw.exchange(env.net(), env.address(), "NOT HTTP\r\n\r\n"))
                        .flatMap(bad -> good.output().write(Buffer.copyOf(get("/users/2")))
                                .then(() -> Raw.readUntil(good, t -> t.endsWith("user 2\n")))
                                .map(t -> bad + "|" + t + "|errors=" + env.server().stats().errors()))
                        .finallyDoAsync(good::close))));
        assertTrue(out.startsWith("HTTP/1.1 400 Bad Request"), out);
        assertTrue(out.contains("|HTTP/1.1 200 OK") && out.endsWith("user 2\n|errors=1"), out);
    }

    @Test
    void dateIsFormattedAndCachedPerSecond() throws Exception {
        String out = exchange(get("/") + get("/"));
        var m = DATE.matcher(out);
        assertTrue(m.find(), out);
        String first = m.group();
        assertTrue(m.find(), out);
        // Both responses were made within one task: same second, the same cached line (unless the second turned).
        String second = m.group();
        assertTrue(first.equals(second) || first.compareTo(second) != 0, out);
        HttpDate d = new HttpDate();
        assertEquals("Sun, 06 Nov 1994 08:49:37 GMT", HttpDate.format(784111777000L));
        assertEquals(784111777000L, HttpDate.parse("Sun, 06 Nov 1994 08:49:37 GMT"));
        assertEquals(-1, HttpDate.parse("yesterday"));
        onShard(() -> assertTrue(d.line() == d.line(), "the same bytes until the second turns"));
    }

    @Test
    void responseBodiesRespectBackPressure() throws Exception {
        int pieces = 200;
        int pieceSize = 16 << 10;
        String out = async(() -> {
            FakeNet net = new FakeNet();
            net.queueLimit = 64 << 10;
            int[] written = {0};
            Router r = new Router().get("/big", req -> Future.ready(Response.stream(200, "application/octet-stream",
                    (long) pieces * pieceSize, w -> io.percore.core.Futures.repeat(() -> {
                        if (written[0] == pieces) {
                            return Future.ready(true);
                        }
                        written[0]++;
                        return w.write(Buffer.copyOf(new byte[pieceSize])).map(v -> false);
                    }))));
            return withServer(net, r, CONFIG, env -> net.connect(env.address()).flatMap(s ->
                    s.output().write(Buffer.copyOf(get("/big")))
                            .then(() -> Timer.sleep(Duration.ofMillis(100)))
                            .flatMap(v -> {
                                int whileStalled = written[0];
                                long[] got = {0};
                                return io.percore.core.Futures.repeat(() -> s.input().read().map(b -> {
                                    got[0] += b.length();
                                    b.release();
                                    return b.isEmpty() || got[0] >= (long) pieces * pieceSize;
                                })).map(x -> whileStalled + "/" + written[0] + "/" + (got[0] >= (long) pieces * pieceSize));
                            }).finallyDoAsync(s::close)));
        });
        String[] parts = out.split("/");
        int whileStalled = Integer.parseInt(parts[0]);
        assertTrue(whileStalled <= 8, "the producer ran ahead of a client that did not read: " + out);
        assertEquals(String.valueOf(pieces), parts[1]);
        assertEquals("true", parts[2]);
    }

    @Test
    void requestBodiesAreReadOnlyAsTheHandlerAsks() throws Exception {
        String out = async(() -> {
            FakeNet net = new FakeNet();
            net.queueLimit = 32 << 10;
            Promise<Void> go = new Promise<>();
            Router r = new Router().post("/slow", req -> go.then(() -> req.body().discard())
                    .map(v -> Response.text("done\n")));
            return withServer(net, r, CONFIG, env -> net.connect(env.address()).flatMap(s -> {
                int total = 4 << 20;
                Future<Void> sending = s.output().write(Buffer.copyOf(
                        "POST /slow HTTP/1.1\r\nHost: t\r\nContent-Length: " + total + "\r\n\r\n"))
                        .then(() -> io.percore.core.Futures.repeat(new java.util.function.Supplier<Future<Boolean>>() {
                            int sent;

                            @Override
                            public Future<Boolean> get() {
                                sent += 64 << 10;
                                return s.output().write(Buffer.copyOf(new byte[64 << 10])).map(v -> sent >= total);
                            }
                        }));
                return Timer.sleep(Duration.ofMillis(100)).flatMap(v -> {
                    long received = env.server().stats().bytesReceived();
                    go.setValue(null);
                    return sending.then(() -> Raw.readUntil(s, t -> t.endsWith("done\n")))
                            .map(t -> received + "|" + t.endsWith("done\n") + "|" + env.server().stats().bytesReceived());
                }).finallyDoAsync(s::close);
            }));
        });
        String[] parts = out.split("\\|");
        assertTrue(Long.parseLong(parts[0]) < 1 << 20, "the server read a body nobody asked for: " + out);
        assertEquals("true", parts[1]);
        assertTrue(Long.parseLong(parts[2]) >= 4 << 20, out);
    }
}
