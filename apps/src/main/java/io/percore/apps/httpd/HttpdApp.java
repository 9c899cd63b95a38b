package io.percore.apps.httpd;

import io.percore.app.AppContext;
import io.percore.app.AppTemplate;
import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Offload;
import io.percore.core.Shard;
import io.percore.http.Handler;
import io.percore.http.HttpServer;
import io.percore.http.HttpServerConfig;
import io.percore.http.HttpServerStats;
import io.percore.http.HttpStatus;
import io.percore.http.Response;
import io.percore.http.Router;
import io.percore.http.StaticFiles;
import io.percore.http.websocket.WebSocket;
import io.percore.http.websocket.WebSocketConfig;
import io.percore.http.websocket.WebSocketMessage;
import io.percore.http.websocket.WebSocketServer;
import io.percore.net.ListenOptions;
import io.percore.net.Network;
import io.percore.net.SocketAddress;
import io.percore.smp.Sharded;
import io.percore.smp.Smp;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * {@code ./percore httpd [--port 10000] [--address A] [--dir PATH]} plus the standard options: serves
 * <ul>
 *   <li>{@code GET /} (and {@code /plaintext}): {@code Hello, World!} as text/plain;</li>
 *   <li>{@code GET /json}: {@code {"message":"Hello, World!"}};</li>
 *   <li>{@code GET /static/...}: the files under {@code --dir} (when given);</li>
 *   <li>{@code /ws}: a websocket that echoes every message;</li>
 *   <li>{@code GET /metrics}: requests, bytes, connections and errors in the Prometheus text format, per shard
 *       and summed, gathered from every shard by a map-reduce at scrape time.</li>
 * </ul>
 * Runs until SIGINT/SIGTERM, then stops the servers in order (no new connections, requests in flight finish) and
 * exits 0. Works with no option at all.
 */
public final class HttpdApp {
    private static final Logger LOG = LoggerFactory.getLogger(HttpdApp.class);
    static final byte[] HELLO = "Hello, World!".getBytes(StandardCharsets.US_ASCII);
    static final byte[] JSON = "{\"message\":\"Hello, World!\"}".getBytes(StandardCharsets.US_ASCII);

    private HttpdApp() {}

    /** The program's own options. */
    public static final class Options {
        @Option(names = "--port", paramLabel = "N", defaultValue = "10000", description = "TCP port to listen on (0: any free port). Default: ${DEFAULT-VALUE}.")
        int port;

        @Option(names = "--address", paramLabel = "IP", defaultValue = "0.0.0.0",
                description = "Address to listen on: an IPv4 or IPv6 literal (:: takes both). Default: ${DEFAULT-VALUE}.")
        String address;

        @Option(names = "--dir", paramLabel = "PATH", description = "Serve the files under PATH at /static/.")
        Path dir;

        /** @return options with the defaults, for tests and embedding. */
        public static Options defaults() {
            Options o = new Options();
            o.port = 10000;
            o.address = "0.0.0.0";
            return o;
        }

        /** @return these options with another port. */
        public Options withPort(int p) {
            this.port = p;
            return this;
        }

        /** @return these options with a directory to serve. */
        public Options withDir(Path d) {
            this.dir = d;
            return this;
        }

        /** @return these options with another address. */
        public Options withAddress(String a) {
            this.address = a;
            return this;
        }
    }

    /**
     * Runs httpd as {@code command} with the standard and httpd options until stopped. Non-shard thread.
     *
     * @return the exit code
     */
    public static int run(String command, String[] args, PrintStream out) {
        Options options = new Options();
        return AppTemplate.builder(command)
                .description("percore's HTTP/1.1 server: hello, JSON, static files, a websocket echo and Prometheus metrics.")
                .options(options)
                .runForExitCode(args, ctx -> main(ctx, options, out));
    }

    /** The main function: start, say where, wait for the stop request, stop. Shard 0. */
    static Future<Integer> main(AppContext ctx, Options options, PrintStream out) {
        if (options.dir != null && !Files.isDirectory(options.dir)) {
            return Future.failed(new IllegalArgumentException("--dir " + options.dir + " is not a directory"));
        }
        return start(options).flatMap(running -> Offload.run(() -> {
            out.println("percore httpd: listening on http://" + running.address() + "/ on " + Smp.count()
                    + " shard(s), reactor backend " + ctx.options().reactorBackend()
                    + (options.dir != null ? ", serving " + options.dir.toAbsolutePath() + " at /static/" : ""));
            out.flush();
            return null;
        }).then(ctx::stopRequested).then(() -> {
            LOG.info("stopping: no new connections; requests in flight finish");
            return running.servers().stop();
        }).map(v -> {
            LOG.info("httpd stopped");
            return 0;
        }));
    }

    /** A started httpd: the servers of every shard and the address they listen on. */
    public record Running(Sharded<HttpServer> servers, SocketAddress address) {}

    /**
     * Starts a server on every shard with the httpd routes. Shard thread (usually shard 0).
     *
     * @return the servers and the bound address (the chosen port when {@code --port 0})
     */
    public static Future<Running> start(Options options) {
        SocketAddress address = SocketAddress.of(options.address, options.port);
        Sharded<HttpServer>[] self = holder();
        return HttpServer.startOnAllShards(address, ListenOptions.defaults(), HttpServerConfig.defaults(), Network::stack,
                        shard -> routes(options, () -> self[0]))
                .map(servers -> {
                    self[0] = servers;
                    SocketAddress bound = servers.local().localAddresses().get(0);
                    return new Running(servers, bound);
                });
    }

    @SuppressWarnings("unchecked")
    private static Sharded<HttpServer>[] holder() {
        return (Sharded<HttpServer>[]) new Sharded[1];
    }

    /** The routes of one shard; {@code servers} gives the running servers to {@code /metrics}. */
    static Router routes(Options options, java.util.function.Supplier<Sharded<HttpServer>> servers) {
        Handler hello = r -> Future.ready(Response.bytes(HttpStatus.OK, "text/plain", HELLO));
        Router router = new Router()
                .get("/", hello)
                .get("/plaintext", hello)
                .get("/json", r -> Future.ready(Response.bytes(HttpStatus.OK, "application/json", JSON)))
                .get("/metrics", r -> metrics(servers.get()))
                .get("/ws", WebSocketServer.handler(WebSocketConfig.defaults().withSubprotocols("echo"), HttpdApp::echo));
        if (options.dir != null) {
            router.get("/static/*", StaticFiles.handler(options.dir));
        }
        return router;
    }

    /** Echoes every message until the peer closes. */
    static Future<?> echo(WebSocket ws) {
        return Futures.repeat(() -> ws.receive().flatMap(m -> {
            if (m.isClose()) {
                return Future.ready(true);
            }
            Future<Void> sent = m.type() == WebSocketMessage.Type.TEXT ? ws.sendText(m.text()) : ws.sendBinary(m.data().share());
            m.data().release();
            return sent.map(v -> false);
        }));
    }

    /** Gathers every shard's counters (map-reduce) and writes them in the Prometheus text format. */
    static Future<Response> metrics(Sharded<HttpServer> servers) {
        if (servers == null) {
            return Future.ready(Response.text(HttpStatus.SERVICE_UNAVAILABLE, "starting\n"));
        }
        return servers.mapReduce(s -> Future.ready(Map.of(Shard.currentId(), s.stats().snapshot())),
                new TreeMap<Integer, HttpServerStats>(), (acc, one) -> {
                    acc.putAll(one);
                    return acc;
                }).map(perShard -> Response.text(HttpStatus.OK, PrometheusText.render(perShard))
                .contentType("text/plain; version=0.0.4; charset=utf-8"));
    }
}
