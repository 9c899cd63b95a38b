package io.percore.apps.httpd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;


import io.percore.core.Futures;
import io.percore.http.ClientRequest;
import io.percore.http.ClientResponse;
import io.percore.http.HttpClientConfig;
import io.percore.http.websocket.WebSocketClient;
import io.percore.http.websocket.WebSocketConfig;
import io.percore.net.Network;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * httpd over real TCP (two shards, the POSIX stack) with clients nobody here wrote: curl and the JDK's HttpClient
 * and WebSocket; plus raw pipelining on a socket and percore's own client over the same stack.
 */
class HttpdTest {
    @TempDir
    static Path dir;
    static LiveHttpd httpd;
    static byte[] blob;

    @BeforeAll
    static void start() throws Exception {
        Files.writeString(dir.resolve("index.html"), "<h1>percore</h1>\n");
        blob = new byte[300_000];
        new Random(1).nextBytes(blob);
        Files.write(dir.resolve("blob.bin"), blob);
        httpd = LiveHttpd.start(dir);
    }

    @AfterAll
    static void stop() throws Exception {
        if (httpd != null) {
            httpd.close();
        }
    }

    private static Cmd.Result curl(String... args) throws Exception {
        assumeTrue(Cmd.available("curl"), "curl is not installed (.ci/run installs it)");
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
        cmd.addAll(List.of(args));
        Cmd.Result r = Cmd.run(Duration.ofSeconds(30), cmd);
        assertEquals(0, r.exit(), "curl " + String.join(" ", args) + ": " + r.err());
        return r;
    }

    @Test
    void curlGetsHelloJsonAndHeaders() throws Exception {
        Cmd.Result hello = curl("-i", httpd.url("/"));
        assertTrue(hello.out().startsWith("HTTP/1.1 200 OK\r\n"), hello.out());
        assertTrue(hello.out().contains("Content-Type: text/plain\r\n") && hello.out().endsWith("\r\n\r\nHello, World!"), hello.out());
        assertEquals("{\"message\":\"Hello, World!\"}", curl(httpd.url("/json")).out());
        Cmd.Result head = curl("-I", httpd.url("/json"));
        assertTrue(head.out().contains("Content-Length: 27\r\n"), head.out());
        Cmd.Result missing = curl("-o", "/dev/null", "-w", "%{http_code}", httpd.url("/missing"));
        assertEquals("404", missing.out());
        Cmd.Result post = curl("-o", "/dev/null", "-w", "%{http_code}", "-d", "x=1", httpd.url("/json"));
        assertEquals("405", post.out());
    }

    @Test
    void curlReusesTheConnectionForSeveralUrls() throws Exception {
        Cmd.Result r = curl("-v", httpd.url("/"), httpd.url("/json"), httpd.url("/plaintext"));
        assertEquals("Hello, World!{\"message\":\"Hello, World!\"}Hello, World!", r.out());
        assertTrue(r.err().contains("Re-using existing") || r.err().contains("Reusing existing"), r.err());
    }

    @Test
    void curlStaticFilesRangesAndConditionals() throws Exception {
        assertEquals("<h1>percore</h1>\n", curl(httpd.url("/static/")).out());
        Path got = dir.resolve("got.bin");
        curl("-o", got.toString(), httpd.url("/static/blob.bin"));
        assertArrayEquals(blob, Files.readAllBytes(got));
        Cmd.Result range = curl("-i", "-r", "10-19", httpd.url("/static/blob.bin"));
        assertTrue(range.out().startsWith("HTTP/1.1 206 Partial Content\r\n"), range.out());
        assertTrue(range.out().contains("Content-Range: bytes 10-19/300000\r\n"), range.out());
        Cmd.Result conditional = curl("-o", "/dev/null", "-w", "%{http_code}", "-z", "Fri, 01 Jan 2100 00:00:00 GMT",
                httpd.url("/static/blob.bin"));
        assertEquals("304", conditional.out());
        Cmd.Result escape = curl("-o", "/dev/null", "-w", "%{http_code}", "--path-as-is", httpd.url("/static/../../etc/passwd"));
        assertEquals("404", escape.out());
    }

    @Test
    void jdkHttpClientManyConcurrentRequests() throws Exception {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build()) {
            List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                String path = i % 2 == 0 ? "/" : "/json";
                all.add(client.sendAsync(HttpRequest.newBuilder(URI.create(httpd.url(path))).timeout(Duration.ofSeconds(20)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (int i = 0; i < all.size(); i++) {
                HttpResponse<String> r = all.get(i).get(30, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode());
                assertEquals(HttpClient.Version.HTTP_1_1, r.version());
                assertEquals(i % 2 == 0 ? "Hello, World!" : "{\"message\":\"Hello, World!\"}", r.body());
                assertTrue(r.headers().firstValue("date").isPresent());
            }
            HttpResponse<byte[]> file = client.send(HttpRequest.newBuilder(URI.create(httpd.url("/static/blob.bin"))).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertArrayEquals(blob, file.body());
        }
    }

    @Test
    void pipelinedRequestsOnARealSocketAreAnsweredInOrder() throws Exception {
        StringBuilder requests = new StringBuilder();
        for (int i = 0; i < 16; i++) {
            requests.append("GET ").append(i % 2 == 0 ? "/" : "/json").append(" HTTP/1.1\r\nHost: t\r\n\r\n");
        }
        requests.append("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        try (Socket s = new Socket("127.0.0.1", httpd.port)) {
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write(requests.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            Matcher m = Pattern.compile("\r\n\r\n(Hello, World!|\\{\"message\":\"Hello, World!\"})").matcher(all);
            List<String> bodies = new ArrayList<>();
            while (m.find()) {
                bodies.add(m.group(1));
            }
            assertEquals(17, bodies.size(), all);
            for (int i = 0; i < 16; i++) {
                assertEquals(i % 2 == 0 ? "Hello, World!" : "{\"message\":\"Hello, World!\"}", bodies.get(i), "response " + i);
            }
        }
    }

    @Test
    void metricsSumTheShards() throws Exception {
        for (int i = 0; i < 10; i++) {
            curl("-o", "/dev/null", httpd.url("/"));
        }
        String text = curl(httpd.url("/metrics")).out();
        long total = value(text, "percore_http_requests_total ");
        long perShard = value(text, "percore_http_shard_requests_total{shard=\"0\"} ") + value(text, "percore_http_shard_requests_total{shard=\"1\"} ");
        assertTrue(total >= 11, text);
        assertEquals(total, perShard, text);
        assertTrue(text.contains("# TYPE percore_http_connections_open gauge\n"), text);
        assertTrue(value(text, "percore_http_sent_bytes_total ") > 0 && value(text, "percore_http_connections_opened_total ") >= 11, text);
    }

    private static long value(String text, String prefix) {
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                return Long.parseLong(line.substring(prefix.length()).strip());
            }
        }
        throw new AssertionError("no " + prefix + " in\n" + text);
    }

    @Test
    void jdkWebSocketClientEchoesBoundaryPayloads() throws Exception {
        LinkedBlockingQueue<Object> received = new LinkedBlockingQueue<>();
        WebSocket.Listener listener = new WebSocket.Listener() {
            private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                    received.add(text.toString());
                    text.setLength(0);
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
                byte[] b = new byte[data.remaining()];
                data.get(b);
                binary.writeBytes(b);
                if (last) {
                    received.add(binary.toByteArray());
                    binary.reset();
                }
                ws.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
                received.add("closed " + status);
                return null;
            }
        };
        try (HttpClient client = HttpClient.newHttpClient()) {
            WebSocket ws = client.newWebSocketBuilder().subprotocols("echo").buildAsync(URI.create("ws://127.0.0.1:" + httpd.port + "/ws"), listener)
                    .get(20, TimeUnit.SECONDS);
            assertEquals("echo", ws.getSubprotocol());
            Random r = new Random(2);
            for (int size : new int[] {0, 125, 126, 65535, 65536, 1 << 20}) {
                byte[] bytes = new byte[size];
                r.nextBytes(bytes);
                ws.sendBinary(ByteBuffer.wrap(bytes), true).get(20, TimeUnit.SECONDS);
                assertArrayEquals(bytes, (byte[]) received.poll(20, TimeUnit.SECONDS), "binary " + size);
                String text = "ж".repeat(size / 2) + (size % 2 == 1 ? "z" : "");
                ws.sendText(text, true).get(20, TimeUnit.SECONDS);
                assertEquals(text, received.poll(20, TimeUnit.SECONDS), "text " + size);
            }
            ws.sendClose(4000, "bye").get(20, TimeUnit.SECONDS);
            assertEquals("closed 4000", received.poll(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void percoreClientAndWebSocketOverRealTcp() throws Exception {
        String out = httpd.on(1, () -> {
            io.percore.http.HttpClient client = new io.percore.http.HttpClient(Network.stack(), HttpClientConfig.defaults());
            return Futures.doForEach(List.of("/", "/json", "/static/"), p -> client.get(httpd.running.address(), p)
                            .flatMap(ClientResponse::text).map(t -> t))
                    .then(() -> client.send(httpd.running.address(), ClientRequest.get("/static/blob.bin")))
                    .flatMap(r -> r.content(1 << 20).map(b -> {
                        boolean same = java.util.Arrays.equals(b.toArray(), blob);
                        b.release();
                        return same + " opened " + client.connectionsOpened();
                    }))
                    .flatMap(t -> WebSocketClient.connect(Network.stack(), httpd.running.address(), "/ws",
                                    WebSocketConfig.defaults().withSubprotocols("echo"))
                            .flatMap(ws -> ws.sendBinary(new byte[1 << 20]).then(ws::receive).flatMap(m -> {
                                int n = m.data().length();
                                m.data().release();
                                return ws.close(1000, "").map(v -> t + " ws " + ws.subprotocol() + " " + n);
                            })))
                    .finallyDoAsync(client::stop);
        });
        assertEquals("true opened 1 ws echo 1048576", out);
    }

}
