package io.percore.apps.echo;

import io.percore.app.AppContext;
import io.percore.app.AppTemplate;
import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Shard;
import io.percore.memory.Packet;
import io.percore.net.ConnectedSocket;
import io.percore.net.ListenOptions;
import io.percore.net.NetException;
import io.percore.net.Network;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import io.percore.net.UdpChannel;
import io.percore.smp.Service;
import io.percore.smp.Sharded;
import io.percore.smp.Smp;
import io.percore.sys.Errno;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * {@code ./percore echo}: echoes TCP and UDP on one port, over IPv4 and IPv6 at once (a dual-stack socket on
 * {@code [::]}, or {@code 0.0.0.0} where the host has no IPv6) — the first thing to point {@code nc} at.
 *
 * <p>Every shard listens for TCP on the port; the stack spreads connections over them (fewest connections
 * first) and each shard echoes its own. UDP is one socket, on shard 0: without SO_REUSEPORT a port takes one
 * UDP socket. Running until SIGINT/SIGTERM, it then stops accepting, closes what is open, and logs how much it
 * echoed.
 */
public final class EchoApp {
    private static final Logger LOG = LoggerFactory.getLogger(EchoApp.class);
    /** How often a kernel-chosen TCP port is tried for UDP before giving up (someone else may hold it for UDP). */
    private static final int PORT_ATTEMPTS = 10;

    private EchoApp() {}

    /** The echo server's own options. */
    public static final class Options {
        @Option(names = "--port", paramLabel = "PORT", defaultValue = "10001",
                description = "TCP and UDP port to echo on (0: any free port, logged at start). Default: ${DEFAULT-VALUE}.")
        int port;
    }

    /**
     * Runs the echo server as {@code command} ("percore echo") with the standard and echo options until a
     * signal. Non-shard thread.
     *
     * @return the exit code
     */
    public static int run(String command, String[] args) {
        Options options = new Options();
        Network.preload(); // here, not on a shard: building the native bindings would stall the reactor
        return AppTemplate.builder(command)
                .description("Echoes TCP and UDP on one port, IPv4 and IPv6 (dual stack), until SIGINT/SIGTERM.")
                .options(options)
                .runForExitCode(args, ctx -> serve(ctx, options));
    }

    /**
     * The echo server's main function. Shard 0.
     *
     * @return 0 after an orderly stop
     */
    public static Future<Integer> serve(AppContext ctx, Options options) {
        if (options.port < 0 || options.port > 65535) {
            return Future.failed(new IllegalArgumentException("--port must be 0..65535, not " + options.port));
        }
        return Sharded.start(EchoShard::new).flatMap(shards -> bind(shards, options.port)
                .flatMap(address -> {
                    LOG.info("echo: TCP and UDP on {}{}; TCP on {} shard(s), UDP on shard 0", address,
                            address.isIpv6() ? " (IPv4 and IPv6)" : " (IPv4 only: no IPv6 here)", Smp.count());
                    return ctx.stopRequested();
                })
                .then(() -> shards.mapReduce(s -> Future.ready(s.totals()), new long[2], EchoApp::add))
                .map(t -> {
                    LOG.info("echo: stopping after {} TCP connection(s) and {} datagram(s)", t[0], t[1]);
                    return 0;
                })
                .finallyDoAsync(shards::stop));
    }

    private static long[] add(long[] a, long[] b) {
        return new long[] {a[0] + b[0], a[1] + b[1]};
    }

    /** Listens on shard 0 (settling the port), then on the other shards, then opens UDP on shard 0. */
    private static Future<SocketAddress> bind(Sharded<EchoShard> shards, int port) {
        return shards.invokeOn(0, s -> Future.ready(s.bindFirst(port))).flatMap(address -> {
            List<Future<Void>> others = new ArrayList<>();
            for (int i = 1; i < Smp.count(); i++) {
                others.add(shards.invokeOn(i, s -> {
                    s.listen(address);
                    return Future.done();
                }));
            }
            return Futures.whenAll(others).map(v -> address);
        });
    }

    /** One shard's part: its listening socket, its open connections, and on shard 0 the UDP socket. */
    static final class EchoShard implements Service {
        private final int shard;
        private ServerSocket server;
        private UdpChannel udp;
        private final Set<ConnectedSocket> open = new HashSet<>();
        private long connections;
        private long datagrams;

        EchoShard(int shard) {
            this.shard = shard;
        }

        /**
         * Shard 0: listens on {@code port} (dual stack where IPv6 exists) and opens UDP on the same port. With
         * port 0 the kernel picks the TCP port, and another is tried when that one is taken for UDP.
         *
         * @return the address served
         */
        SocketAddress bindFirst(int port) {
            for (int attempt = 1; ; attempt++) {
                SocketAddress address = listen(wildcard(port));
                try {
                    udp = Network.stack().udpChannel(address);
                } catch (NetException.AddressInUse e) {
                    if (port != 0 || attempt == PORT_ATTEMPTS) {
                        server.close();
                        throw e;
                    }
                    server.close();
                    continue;
                }
                echoDatagrams();
                return address;
            }
        }

        /** @return "[::]:port", or "0.0.0.0:port" when this host has no IPv6. */
        private static SocketAddress wildcard(int port) {
            try {
                Network.stack().udpChannel(SocketAddress.anyIpv6(0)).close();
                return SocketAddress.anyIpv6(port);
            } catch (NetException e) {
                if (e.errno() == Errno.EAFNOSUPPORT || e.errno() == Errno.EADDRNOTAVAIL) {
                    return SocketAddress.anyIpv4(port);
                }
                throw e;
            }
        }

        /** Listens on {@code address} (joining the other shards there) and starts accepting. @return the bound address. */
        SocketAddress listen(SocketAddress address) {
            server = Network.stack().listen(address, ListenOptions.defaults());
            Futures.keepDoing(() -> server.accept().thenAccept(r -> echo(r.socket())))
                    .onComplete((v, e) -> {
                        if (!(e instanceof NetException.AcceptAborted)) {
                            LOG.error("shard {} stopped accepting", shard, e);
                        }
                    });
            return server.localAddress();
        }

        /** Writes back what it reads until end of stream, then closes; the stream's back-pressure paces it. */
        private void echo(ConnectedSocket s) {
            connections++;
            open.add(s);
            LOG.debug("shard {}: connection from {}", shard, s.remoteAddress());
            Futures.repeat(() -> s.input().read().flatMap(b -> b.isEmpty()
                            ? Future.ready(true)
                            : s.output().write(b).map(v -> false)))
                    .then(() -> s.output().close())
                    .finallyDoAsync(() -> {
                        open.remove(s);
                        return s.close();
                    })
                    .onComplete((v, e) -> {
                        if (e != null && !(e instanceof NetException.SocketClosed)) {
                            LOG.debug("shard {}: connection from {} ended: {}", shard, s.remoteAddress(), e.toString());
                        }
                    });
        }

        /** Sends every datagram back to its sender until the channel closes. */
        private void echoDatagrams() {
            UdpChannel channel = udp;
            Futures.keepDoing(() -> channel.receive().thenAccept(d -> {
                datagrams++;
                channel.send(d.sender(), Packet.of(d.data())).onComplete((v, e) -> {
                    if (e != null) {
                        LOG.debug("datagram to {} not sent: {}", d.sender(), e.toString());
                    }
                });
            })).onComplete((v, e) -> {
                if (!(e instanceof NetException.SocketClosed)) {
                    LOG.error("UDP echo stopped", e);
                }
            });
        }

        /** @return {connections, datagrams} this shard echoed. */
        long[] totals() {
            return new long[] {connections, datagrams};
        }

        /** Stops accepting and closes everything this shard has open. */
        @Override
        public Future<Void> stop() {
            if (server != null) {
                server.close();
            }
            if (udp != null) {
                udp.close();
            }
            List<Future<Void>> closing = new ArrayList<>();
            for (ConnectedSocket s : List.copyOf(open)) {
                closing.add(s.close());
            }
            open.clear();
            LOG.debug("shard {} stopped", Shard.currentId());
            return Futures.whenAll(closing).discardResult();
        }
    }
}
