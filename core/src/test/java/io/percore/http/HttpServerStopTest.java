package io.percore.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Timer;
import io.percore.memory.Buffer;
import io.percore.net.ListenOptions;
import io.percore.net.NetException;
import io.percore.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Orderly stop in its order (stop accepting, idle closed, busy finish, grace, done) and the timeouts. */
class HttpServerStopTest extends ShardTestBase {
    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n";
    }

    @Test
    void stopClosesIdleAtOnceLetsBusyFinishThenRefusesNewConnections() throws Exception {
        String out = async(() -> {
            FakeNet net = new FakeNet();
            Promise<Void> release = new Promise<>();
            List<String> events = new ArrayList<>();
            Router r = new Router()
                    .get("/", req -> Future.ready(Response.text("hello\n")))
                    .get("/slow", req -> release.map(v -> Response.text("slow done\n")));
            HttpServer server = new HttpServer(r, HttpServerConfig.defaults().withStopGrace(Duration.ofSeconds(10)));
            SocketAddress addr = server.listen(net, SocketAddress.of("127.0.0.1", 0), ListenOptions.defaults());
            return net.connect(addr).flatMap(idle -> net.connect(addr).flatMap(busy ->
                    idle.output().write(Buffer.copyOf(get("/")))
                            .then(() -> Raw.readUntil(idle, t -> t.endsWith("hello\n")))
                            .then(() -> busy.output().write(Buffer.copyOf(get("/slow"))))
                            .then(() -> Timer.sleep(Duration.ofMillis(50)))
                            .flatMap(v -> {
                                Future<Void> stopped = server.stop().map(x -> {
                                    events.add("stopped");
                                    return null;
                                });
                                Future<String> idleEnd = Raw.readUntil(idle, t -> false).map(t -> {
                                    events.add("idle closed");
                                    return t;
                                });
                                Future<String> busyEnd = Raw.readUntil(busy, t -> false).map(t -> {
                                    events.add("busy answered: " + t.contains("slow done") + " close: "
                                            + t.contains("Connection: close"));
                                    return t;
                                });
                                return Timer.sleep(Duration.ofMillis(100)).flatMap(w -> {
                                    events.add("open before release: " + server.openConnections());
                                    return net.connect(addr).handle((s, e) -> {
                                        events.add("new connection: " + (e instanceof NetException.ConnectionRefused ? "refused" : "accepted"));
                                        return null;
                                    });
                                }).flatMap(w -> {
                                    release.setValue(null);
                                    return idleEnd.then(() -> busyEnd).then(() -> stopped);
                                });
                            })
                            .map(v -> String.join("; ", events))
                            .finallyDoAsync(() -> idle.close().then(busy::close))));
        });
        assertEquals("idle closed; open before release: 1; new connection: refused; busy answered: true close: true; stopped", out);
    }

    @Test
    void stopGraceClosesRequestsThatNeverFinish() throws Exception {
        long[] took = {0};
        String out = async(() -> {
            FakeNet net = new FakeNet();
            Router r = new Router().get("/never", req -> new Promise<>());
            HttpServer server = new HttpServer(r, HttpServerConfig.defaults().withStopGrace(Duration.ofMillis(200)));
            SocketAddress addr = server.listen(net, SocketAddress.of("127.0.0.1", 0), ListenOptions.defaults());
            return net.connect(addr).flatMap(s -> s.output().write(Buffer.copyOf(get("/never")))
                    .then(() -> Timer.sleep(Duration.ofMillis(20)))
                    .flatMap(v -> {
                        long t0 = System.nanoTime();
                        return server.stop().map(x -> {
                            took[0] = System.nanoTime() - t0;
                            return "stopped, open " + server.openConnections();
                        });
                    }).flatMap(t -> Raw.readUntil(s, x -> false).map(rest -> t + ", client read " + rest.length() + " bytes")));
        });
        assertEquals("stopped, open 0, client read 0 bytes", out);
        assertTrue(took[0] >= Duration.ofMillis(150).toNanos() && took[0] < Duration.ofSeconds(5).toNanos(), "took " + took[0]);
    }

    @Test
    void idleKeepAliveConnectionsTimeOut() throws Exception {
        String out = async(() -> ServerTestSupport.withServer(ServerTestSupport.testRouter(),
                HttpServerConfig.defaults().withIdleTimeout(Duration.ofMillis(200)), env ->
                        env.net().connect(env.address()).flatMap(s -> s.output().write(Buffer.copyOf(get("/")))
                                .then(() -> Raw.readUntil(s, t -> false))
                                .map(t -> t.endsWith("hello\n") + " open " + env.server().openConnections())
                                .finallyDoAsync(s::close))));
        assertEquals("true open 0", out);
    }

    @Test
    void slowHeadsAreAnswered408() throws Exception {
        String out = async(() -> ServerTestSupport.withServer(ServerTestSupport.testRouter(),
                HttpServerConfig.defaults().withHeadTimeout(Duration.ofMillis(200)), env ->
                        env.net().connect(env.address()).flatMap(s -> s.output().write(Buffer.copyOf("GET / HTTP/1.1\r\nHo"))
                                .then(() -> Raw.readUntil(s, t -> false))
                                .finallyDoAsync(s::close))));
        assertTrue(out.startsWith("HTTP/1.1 408 Request Timeout\r\n"), out);
    }

    @Test
    void shardedStartListensOnEveryShardAndStopsInOrder() throws Exception {
        // The fake network is per shard, so each shard's server gets its own; the point is the lifecycle.
        String out = async(() -> {
            java.util.Map<Integer, FakeNet> nets = new java.util.concurrent.ConcurrentHashMap<>();
            return HttpServer.startOnAllShards(SocketAddress.of("127.0.0.1", 0), ListenOptions.defaults(),
                    HttpServerConfig.defaults(), () -> nets.computeIfAbsent(io.percore.core.Shard.currentId(), k -> new FakeNet()),
                    id -> new Router().get("/", r -> Future.ready(Response.text("shard " + id + "\n"))))
                    .flatMap(servers -> servers.mapReduce(s -> Future.ready(s.localAddresses().size()), 0, Integer::sum)
                            .flatMap(listening -> servers.invokeOn(1, s -> {
                                FakeNet net = nets.get(1);
                                return Raw.exchange(net, s.localAddresses().get(0), get("/"));
                            }).flatMap(answer -> servers.stop().map(v -> listening + " " + answer.substring(answer.lastIndexOf("shard"))))));
        });
        assertEquals("2 shard 1\n", out);
    }

    @Test
    void shardedStopBeginsOnEveryShardAtOnce() throws Exception {
        // Sharded.stop() reaches shard 1 first. Its request in flight (held until the end) must not keep shard 0
        // accepting and its idle connection open meanwhile: every shard stops accepting as soon as the stop begins.
        java.util.Map<Integer, FakeNet> nets = new java.util.concurrent.ConcurrentHashMap<>();
        Promise<?>[] release = new Promise<?>[2];
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        String out = async(() -> HttpServer.startOnAllShards(SocketAddress.of("127.0.0.1", 0), ListenOptions.defaults(),
                HttpServerConfig.defaults().withStopGrace(Duration.ofSeconds(10)),
                () -> nets.computeIfAbsent(io.percore.core.Shard.currentId(), k -> new FakeNet()),
                id -> {
                    Promise<Void> held = new Promise<>();
                    release[id] = held;
                    return new Router().get("/", req -> Future.ready(Response.text("hello\n")))
                            .get("/slow", req -> held.map(v -> Response.text("slow done\n")));
                }).flatMap(servers -> {
                    SocketAddress addr = servers.local().localAddresses().get(0);
                    Future<io.percore.net.ConnectedSocket> busyOn1 = io.percore.smp.Smp.submitTo(1, () -> nets.get(1).connect(addr)
                            .flatMap(busy -> busy.output().write(Buffer.copyOf(get("/slow")))
                                    .then(() -> Timer.sleep(Duration.ofMillis(50)))
                                    .then(() -> servers.local().stats().requests() == 1 ? Future.ready(busy)
                                            : Future.failed(new AssertionError("shard 1 has not got /slow")))));
                    return busyOn1.flatMap(busy -> nets.get(0).connect(addr).flatMap(idle -> idle.output().write(Buffer.copyOf(get("/")))
                            .then(() -> Raw.readUntil(idle, t -> t.endsWith("hello\n")))
                            .flatMap(hello -> {
                                Future<Void> stopped = servers.stop();
                                return Raw.readUntil(idle, t -> false).withTimeout(Duration.ofSeconds(5))
                                        .flatMap(rest -> {
                                            events.add("shard 0 idle closed; stopped: " + stopped.isDone());
                                            return nets.get(0).connect(addr).handle((c, e) -> {
                                                events.add("shard 0 new connection: "
                                                        + (e instanceof NetException.ConnectionRefused ? "refused" : "accepted"));
                                                return null;
                                            });
                                        })
                                        .then(() -> io.percore.smp.Smp.submitTo(1, () -> {
                                            @SuppressWarnings("unchecked")
                                            Promise<Void> held = (Promise<Void>) release[1];
                                            held.setValue(null);
                                            return Raw.readUntil(busy, t -> false).finallyDoAsync(busy::close);
                                        }))
                                        .flatMap(answer -> {
                                            events.add("shard 1 busy answered: " + answer.endsWith("slow done\n")
                                                    + " close: " + answer.contains("Connection: close"));
                                            return stopped;
                                        })
                                        .map(v -> {
                                            events.add("stopped");
                                            return String.join("; ", events);
                                        })
                                        .finallyDoAsync(idle::close);
                            })));
                }));
        assertEquals("shard 0 idle closed; stopped: false; shard 0 new connection: refused; "
                + "shard 1 busy answered: true close: true; stopped", out);
    }
}
