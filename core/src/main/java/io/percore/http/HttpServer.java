package io.percore.http;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.LowresClock;
import io.percore.core.Shard;
import io.percore.core.Timer;
import io.percore.core.sync.AbortSource;
import io.percore.core.sync.Gate;
import io.percore.net.ListenOptions;
import io.percore.net.NetException;
import io.percore.net.NetworkStack;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import io.percore.smp.Service;
import io.percore.smp.Sharded;
import io.percore.smp.Smp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shard's HTTP/1.1 server: it accepts connections on the shard's listening sockets and serves each with the
 * {@link Handler} (usually a {@link Router}) — keep-alive, pipelining answered in order, chunked bodies both ways,
 * {@code Expect: 100-continue}, HEAD, and the limits of {@link HttpLimits}. A request the parser refuses is
 * answered with its status and closes its own connection only.
 *
 * <p>Run one per shard with {@link #startOnAllShards}: every shard listens on the same address and the network
 * stack spreads connections over them; no state is shared but who belongs to the group, for the stop. Counters
 * are per shard ({@link #stats()}).
 *
 * <p><b>Orderly stop</b> ({@link #stop()}), in order, through the server's {@link Gate}: stop accepting (the
 * listeners are aborted and closed); close idle keep-alive connections at once and let each busy one finish its
 * request and then close (its response says {@code Connection: close}); after {@code stopGrace} close whatever is
 * still open; then the server is stopped. Every connection and the accept loops are inside the gate, so the
 * returned future resolves only once none is left.
 *
 * <p><b>Servers started together stop together.</b> The servers of {@link #startOnAllShards} share one listening
 * address, and {@link Sharded#stop()} stops them one shard after the other: were each to begin its stop only when
 * its turn came, the shards not yet reached would go on accepting and keeping idle connections open for as long as
 * the earlier shards' requests took to finish (up to {@code stopGrace} each). So the first {@code stop()} of any of
 * them begins the stop on every shard of the group at once; each shard's {@code stop()} then waits for its own
 * gate, and the whole stop takes as long as the slowest shard, not the sum of them.
 *
 * <p>Shard thread only; each method on the shard the server was made on.
 */
public final class HttpServer implements Service {
    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

    final Handler handler;
    final HttpServerConfig config;
    final HttpServerStats stats = new HttpServerStats();
    final HttpDate date = new HttpDate();
    final byte[] serverLine;
    final AbortSource stopSignal = new AbortSource();
    private final Gate gate = new Gate();
    private final Set<ServerConnection> connections = new LinkedHashSet<>();
    private final List<ServerSocket> listeners = new ArrayList<>();
    private final Timer sweeper = new Timer(this::sweep);
    private final Timer graceTimer = new Timer(this::forceClose);
    private boolean stopping;
    private boolean stopDone;
    private final List<io.percore.core.Promise<Void>> stopWaiters = new ArrayList<>();
    /**
     * The servers started with this one by {@link #startOnAllShards}, by shard (null for a server made alone). Slot
     * {@code i} is written and read on shard {@code i} only; messages between shards carry the rest.
     */
    private HttpServer[] group;

    /**
     * Creates a server on the calling shard; it serves nothing until {@link #listen}.
     *
     * @throws IllegalStateException off a shard thread
     */
    public HttpServer(Handler handler, HttpServerConfig config) {
        if (Shard.current() == null) {
            throw new IllegalStateException("an HttpServer belongs to a shard: create it on a shard thread");
        }
        this.handler = Objects.requireNonNull(handler, "handler");
        this.config = Objects.requireNonNull(config, "config");
        this.serverLine = config.serverName() == null ? null
                : ("Server: " + config.serverName() + "\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /**
     * Listens on {@code address} with this shard's {@code stack} and starts accepting.
     *
     * @return the bound address (with the chosen port when 0 was asked)
     * @throws NetException when the stack refuses (address in use...)
     * @throws IllegalStateException once stopping
     */
    public SocketAddress listen(NetworkStack stack, SocketAddress address, ListenOptions options) {
        if (stopping) {
            throw new IllegalStateException("server is stopping");
        }
        ServerSocket listener = stack.listen(address, options);
        listeners.add(listener);
        gate.enter();
        Futures.repeat(() -> listener.accept().map(accepted -> {
            accept(accepted);
            return false;
        })).onComplete((v, e) -> {
            if (e != null && !(e instanceof NetException.AcceptAborted) && !stopping) {
                LOG.warn("accept loop on {} ended: {}", listener.localAddress(), e.toString());
            }
            gate.leave();
        });
        return listener.localAddress();
    }

    private void accept(ServerSocket.AcceptResult accepted) {
        if (!gate.tryEnter()) {
            accepted.socket().close().ignoreFailure();
            return;
        }
        stats.connectionsOpened++;
        stats.connectionsOpen++;
        ServerConnection c = new ServerConnection(this, accepted.socket(), accepted.remoteAddress());
        connections.add(c);
        if (connections.size() == 1 && !sweeper.isArmed()) {
            sweeper.armPeriodic(Duration.ofMillis(Math.max(100, Math.min(1000,
                    Math.min(config.idleTimeout().toMillis(), config.headTimeout().toMillis()) / 2))));
        }
        c.run().onComplete((v, e) -> {
            connections.remove(c);
            stats.connectionsOpen--;
            if (connections.isEmpty()) {
                sweeper.cancel();
            }
            gate.leave();
        });
    }

    /** Serves connections already accepted by someone else (tests, custom listeners). */
    public void serve(io.percore.net.ConnectedSocket socket, SocketAddress remote) {
        accept(new ServerSocket.AcceptResult(socket, remote));
    }

    /** @return the addresses this shard listens on. */
    public List<SocketAddress> localAddresses() {
        List<SocketAddress> out = new ArrayList<>();
        for (ServerSocket s : listeners) {
            out.add(s.localAddress());
        }
        return out;
    }

    /** @return this shard's counters (live; snapshot them to send elsewhere). */
    public HttpServerStats stats() {
        return stats;
    }

    /** @return the number of connections open on this shard. */
    public int openConnections() {
        return connections.size();
    }

    /** @return true once {@link #stop()} was called. */
    public boolean isStopping() {
        return stopping;
    }

    /** Closes idle connections past the idle timeout and heads that take too long (runs periodically). */
    private void sweep() {
        long now = LowresClock.nanos();
        long idleLimit = config.idleTimeout().toNanos();
        long headLimit = config.headTimeout().toNanos();
        for (ServerConnection c : List.copyOf(connections)) {
            c.checkTimeouts(now, idleLimit, headLimit);
        }
    }

    /**
     * Stops in order: no new connections, idle ones closed, busy ones closed after their current response or after
     * {@code stopGrace}, then done. Idempotent: later calls return the same future. For a server of
     * {@link #startOnAllShards}, the first call on any shard begins the stop on every shard of the group (see the
     * class comment); the future still waits only for this shard's server.
     *
     * @return done when every connection is closed and the accept loops have ended (a future of its own for each
     * caller)
     */
    @Override
    public Future<Void> stop() {
        if (stopDone) {
            return Future.done();
        }
        io.percore.core.Promise<Void> mine = new io.percore.core.Promise<>();
        stopWaiters.add(mine);
        if (stopping) {
            return mine;
        }
        beginStop();
        if (group == null) {
            return mine;
        }
        HttpServer[] members = group;
        // Every shard stops accepting and closes its idle connections now; a shard already gone fails its message,
        // which changes nothing here (its server stopped before).
        return Smp.invokeOnAll(() -> {
            HttpServer s = members[Shard.currentId()];
            if (s != null) {
                s.beginStop();
            }
            return Future.done();
        }).handle((v, e) -> null).then(() -> mine);
    }

    /** The first phase of the stop, on this shard: stop accepting, close idle connections, arm the grace timer. */
    private void beginStop() {
        if (stopping) {
            return;
        }
        stopping = true;
        for (ServerSocket s : listeners) {
            s.abortAccept();
            s.close();
        }
        for (ServerConnection c : List.copyOf(connections)) {
            c.stopRequested();
        }
        stopSignal.requestAbort();
        graceTimer.arm(config.stopGrace());
        gate.close().onComplete((v, e) -> {
            graceTimer.cancel();
            sweeper.cancel();
            stopDone = true;
            for (io.percore.core.Promise<Void> p : stopWaiters) {
                p.setValue(null);
            }
            stopWaiters.clear();
        });
    }

    private void forceClose() {
        for (ServerConnection c : List.copyOf(connections)) {
            c.forceClose();
        }
    }

    /**
     * Starts a server on every shard, all listening on {@code address}: shard 0 first, so that with port 0 the
     * others listen on the port the kernel chose for it. Call on a shard.
     *
     * @param stack   called on each shard for that shard's network stack
     * @param handler called on each shard for that shard's handler (a router is not shared between shards)
     * @return the servers; stop them with {@link Sharded#stop()}
     */
    public static Future<Sharded<HttpServer>> startOnAllShards(SocketAddress address, ListenOptions options,
                                                               HttpServerConfig config, Supplier<NetworkStack> stack,
                                                               IntFunction<Handler> handler) {
        HttpServer[] group = new HttpServer[Smp.count()];
        return Sharded.start(id -> {
            HttpServer s = new HttpServer(handler.apply(id), config);
            s.group = group;
            group[id] = s;
            return s;
        }).flatMap(servers ->
                servers.invokeOn(0, s -> Future.ready(s.listen(stack.get(), address, options)))
                        .flatMap(bound -> servers.invokeOnAll(s -> {
                            if (Shard.currentId() != 0) {
                                s.listen(stack.get(), address.withPort(bound.port()), options);
                            }
                            return Future.done();
                        }))
                        .map(v -> servers)
                        .recoverWith(e -> servers.stop().flatMap(v -> Future.failed(e))));
    }
}
