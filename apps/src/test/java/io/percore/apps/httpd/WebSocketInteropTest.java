package io.percore.apps.httpd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.ReactorConfig;
import io.percore.http.HttpServer;
import io.percore.http.HttpServerConfig;
import io.percore.http.HttpStatus;
import io.percore.http.Response;
import io.percore.http.Router;
import io.percore.http.websocket.WebSocketClient;
import io.percore.http.websocket.WebSocketConfig;
import io.percore.http.websocket.WebSocketServer;
import io.percore.net.ListenOptions;
import io.percore.net.Network;
import io.percore.net.SocketAddress;
import io.percore.smp.Sharded;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * percore's websocket against peers nobody here wrote: the npm {@code ws} package under Node as client and as
 * server, and headless Chromium opening a page percore serves. Boundary payloads (0, 125, 126, 65535, 65536,
 * 1 MiB) go both ways, text and binary; close codes are checked. The peers come from {@code interop/} (installed
 * by {@code npm ci}, which .ci/run does) and Debian's chromium; a test whose peer is missing is skipped, saying why.
 */
class WebSocketInteropTest {
    static final int[] SIZES = {0, 125, 126, 65535, 65536, 1 << 20};
    static Smp smp;
    static Sharded<HttpServer> servers;
    static int port;
    /** Completed with the body the browser page POSTs to /report. */
    static volatile CompletableFuture<String> report = new CompletableFuture<>();

    @BeforeAll
    static void start() throws Exception {
        smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> {});
        Path page = Cmd.repoRoot().resolve("interop/ws-page.html");
        byte[] html = Files.readAllBytes(page);
        servers = smp.submitExternal(0, () -> HttpServer.startOnAllShards(SocketAddress.of("127.0.0.1", 0),
                ListenOptions.defaults(), HttpServerConfig.defaults(), Network::stack, shard -> new Router()
                        .get("/ws", WebSocketServer.handler(WebSocketConfig.defaults().withSubprotocols("echo"), HttpdApp::echo))
                        .get("/page.html", r -> Future.ready(Response.bytes(HttpStatus.OK, "text/html; charset=utf-8", html)))
                        .post("/report", r -> r.body().readString(1 << 20).map(text -> {
                            report.complete(text);
                            return Response.status(HttpStatus.NO_CONTENT);
                        })))).get(20, TimeUnit.SECONDS);
        port = smp.submitExternal(0, () -> Future.ready(servers.local().localAddresses().get(0).port())).get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (servers != null) {
                smp.submitExternal(0, () -> servers.stop()).get(20, TimeUnit.SECONDS);
            }
        } finally {
            if (smp != null) {
                smp.stop();
            }
        }
    }

    private static Path interop() {
        Path dir = Cmd.repoRoot().resolve("interop");
        assumeTrue(Cmd.available("node"), "node is not installed");
        assumeTrue(Files.isDirectory(dir.resolve("node_modules/ws")), "npm ws is not installed: run npm ci in interop/ (.ci/run does)");
        return dir;
    }

    /** Every line of the peer's JSON report must say ok, and the expected checks must all be there. */
    private static void assertAllOk(String output, int expectedChecks) {
        List<String> lines = output.lines().filter(l -> l.startsWith("{\"check\"")).toList();
        for (String l : lines) {
            assertTrue(l.contains("\"ok\":true"), l + "\n" + output);
        }
        assertEquals(expectedChecks, lines.size(), output);
    }

    @Test
    void nodeWsClientAgainstPercoreServer() throws Exception {
        Path dir = interop();
        Cmd.Result r = Cmd.run(Duration.ofSeconds(60), List.of("node", "ws-peer.mjs", "client", "ws://127.0.0.1:" + port + "/ws"), dir);
        assertEquals(0, r.exit(), r.out() + r.err());
        assertAllOk(r.out(), 1 + 2 * SIZES.length + 3);
    }

    @Test
    void percoreClientAgainstNodeWsServer() throws Exception {
        Path dir = interop();
        Process node = new ProcessBuilder("node", "ws-peer.mjs", "server").directory(dir.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
            String first = lines.readLine();
            assertTrue(first != null && first.startsWith("listening "), "node server said " + first);
            int nodePort = Integer.parseInt(first.substring("listening ".length()).strip());
            Random random = new Random(9);
            List<byte[]> payloads = new ArrayList<>();
            for (int size : SIZES) {
                byte[] b = new byte[size];
                random.nextBytes(b);
                payloads.add(b);
            }
            String out = smp.submitExternal(1, () -> WebSocketClient.connect(Network.stack(), SocketAddress.of("127.0.0.1", nodePort), "/",
                    WebSocketConfig.defaults()).flatMap(ws -> {
                        List<String> seen = new ArrayList<>();
                        return Futures.doForEach(payloads, p -> ws.sendBinary(p).then(ws::receive).flatMap(m -> {
                            seen.add(m.type() + (Arrays.equals(m.data().toArray(), p) ? " ok " : " WRONG ") + p.length);
                            m.data().release();
                            String text = "ü".repeat(p.length / 2) + (p.length % 2 == 1 ? "x" : "");
                            return ws.sendText(text).then(ws::receive).map(t -> {
                                seen.add(t.type() + (t.text().equals(text) ? " ok " : " WRONG ") + p.length);
                                t.data().release();
                                return null;
                            });
                        })).then(() -> ws.close(4001, "percore says bye")).map(v -> String.join(", ", seen) + "; closed " + ws.closeCode());
                    })).get(60, TimeUnit.SECONDS);
            for (int size : SIZES) {
                assertTrue(out.contains("BINARY ok " + size) && out.contains("TEXT ok " + size), out);
            }
            assertTrue(out.endsWith("closed 4001"), out);
            String closeSeen = lines.readLine();
            assertEquals("{\"closed\":4001,\"reason\":\"percore says bye\"}", closeSeen);
        } finally {
            node.getOutputStream().close();
            if (!node.waitFor(10, TimeUnit.SECONDS)) {
                node.destroyForcibly();
            }
        }
    }

    @Test
    void headlessChromiumTalksToPercore() throws Exception {
        String chromium = "/usr/bin/chromium";
        assumeTrue(Cmd.available(chromium), "chromium is not installed (.ci/run installs it)");
        report = new CompletableFuture<>();
        Path profile = Files.createTempDirectory("percore-chromium");
        Process browser = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + profile, "http://127.0.0.1:" + port + "/page.html")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String json = report.get(60, TimeUnit.SECONDS);
            List<String> checks = Arrays.stream(json.split("\\},\\{")).toList();
            for (String c : checks) {
                assertTrue(c.contains("\"ok\":true"), c + "\nall: " + json);
            }
            assertEquals(1 + 2 * SIZES.length + 1, checks.size(), json);
            assertTrue(json.contains("\"check\":\"close 4000 clean\""), json);
        } finally {
            browser.destroy();
            if (!browser.waitFor(10, TimeUnit.SECONDS)) {
                browser.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            try (var walk = Files.walk(profile)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
