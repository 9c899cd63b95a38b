package io.percore.apps.sctpecho;

import io.percore.app.AppContext;
import io.percore.app.AppTemplate;
import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Shard;
import io.percore.net.SocketAddress;
import io.percore.sctp.InitOptions;
import io.percore.sctp.RawIpTransport;
import io.percore.sctp.SctpAssociation;
import io.percore.sctp.SctpEvent;
import io.percore.sctp.SctpMessage;
import io.percore.sctp.SctpNotification;
import io.percore.sctp.SctpReceivedMessage;
import io.percore.sctp.SctpServerSocket;
import io.percore.sctp.SctpStack;
import io.percore.sctp.SctpTransport;
import io.percore.sctp.ShardedSctpStack;
import io.percore.sctp.UdpEncapsulation;
import io.percore.smp.Smp;
import java.time.Duration;
import java.util.EnumSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * {@code ./percore sctp-echo}: an SCTP echo server (every message goes back on its stream with its PPID and
 * unordered flag) or a client that sends messages and checks the echoes — something a 5G engineer can point an
 * NGAP/S1AP peer or {@code usrsctp}'s {@code tsctp}/{@code echo_server} at. It speaks SCTP over UDP
 * (RFC 6951) or over raw IP (protocol 132, needs CAP_NET_RAW). The server listens on every shard (a
 * {@link ShardedSctpStack}: one UDP socket per shard sharing the port, or one raw socket per shard), each
 * association served by the shard that owns it, and echoes each received buffer as it is, without a copy; the
 * client runs on shard 0.
 */
public final class SctpEchoApp {
    private static final Logger LOG = LoggerFactory.getLogger(SctpEchoApp.class);

    private SctpEchoApp() {}

    /** Options of sctp-echo. */
    public static final class Options {
        @Option(names = "--mode", defaultValue = "server", description = "server or client. Default: ${DEFAULT-VALUE}.")
        String mode;

        @Option(names = "--transport", defaultValue = "udp",
                description = "udp (RFC 6951 encapsulation) or raw (IP protocol 132, needs CAP_NET_RAW). Default: ${DEFAULT-VALUE}.")
        String transport;

        @Option(names = "--address", defaultValue = "127.0.0.1",
                description = "Server: address to bind; client: server address. Default: ${DEFAULT-VALUE}.")
        String address;

        @Option(names = "--port", defaultValue = "38412", description = "SCTP port (38412 is NGAP's). Default: ${DEFAULT-VALUE}.")
        int port;

        @Option(names = "--udp-port", defaultValue = "9899",
                description = "UDP encapsulation port: the server binds it, the client sends to it. Default: ${DEFAULT-VALUE}.")
        int udpPort;

        @Option(names = "--streams", defaultValue = "4", description = "Client: streams to use. Default: ${DEFAULT-VALUE}.")
        int streams;

        @Option(names = "--count", defaultValue = "1000", description = "Client: messages to send. Default: ${DEFAULT-VALUE}.")
        int count;

        @Option(names = "--size", defaultValue = "64", description = "Client: message size in bytes. Default: ${DEFAULT-VALUE}.")
        int size;

        @Option(names = "--ppid", defaultValue = "60", description = "Client: PPID (60 NGAP, 18 S1AP). Default: ${DEFAULT-VALUE}.")
        int ppid;
    }

    /** Runs sctp-echo as {@code command} with {@code args}. Non-shard thread. @return the exit code */
    public static int run(String command, String[] args) {
        Options o = new Options();
        return AppTemplate.builder(command)
                .description("SCTP echo server or client over UDP encapsulation or raw IP (percore's user-space SCTP).")
                .options(o)
                .runForExitCode(args, ctx -> main(ctx, o));
    }

    static SctpTransport transport(Options o, boolean server) {
        SocketAddress a = SocketAddress.of(o.address, 0);
        if (io.percore.net.Network.stack().name().equals("native")) {
            // The kernel's sockets would bypass the native stack: SCTP rides its UDP instead; raw IP is the kernel's.
            if (!o.transport.equals("udp")) {
                throw new IllegalArgumentException("--transport raw uses kernel sockets; with --network-stack native use udp");
            }
            return StackUdpTransport.bind(server ? a.withPort(o.udpPort)
                    : SocketAddress.of(a.isIpv6() ? "::" : "0.0.0.0", 0), o.udpPort);
        }
        if (o.transport.equals("raw")) {
            return RawIpTransport.open(server ? a.ip() : SocketAddress.of(a.isIpv6() ? "::" : "0.0.0.0", 0).ip());
        }
        if (!o.transport.equals("udp")) {
            throw new IllegalArgumentException("--transport must be udp or raw");
        }
        // The server's shards share its UDP port (SO_REUSEPORT); packets the kernel puts on a shard that does not
        // own their association are handed over by the stack.
        return server ? UdpEncapsulation.bind(a.withPort(o.udpPort), o.udpPort, true)
                : UdpEncapsulation.bind(SocketAddress.of(a.isIpv6() ? "::" : "0.0.0.0", 0), o.udpPort, false);
    }

    /** Shard 0. */
    static Future<Integer> main(AppContext ctx, Options o) {
        return switch (o.mode) {
            case "server" -> server(ctx, o);
            case "client" -> client(o);
            default -> Future.failed(new IllegalArgumentException("--mode must be server or client"));
        };
    }

    private static Future<Integer> server(AppContext ctx, Options o) {
        InitOptions opt = InitOptions.defaults().withStreams(16, 16)
                .withEvents(EnumSet.of(SctpNotification.Kind.ASSOCIATION_UP, SctpNotification.Kind.ASSOCIATION_LOST,
                        SctpNotification.Kind.SHUTDOWN_COMPLETE, SctpNotification.Kind.RESTART));
        SocketAddress local = SocketAddress.of(o.address, o.port);
        return ShardedSctpStack.start(id -> transport(o, true)).flatMap(group -> group.listen(local, opt)
                .flatMap(v -> Smp.invokeOnAll(() -> {
                    SctpServerSocket l = group.listener(o.port);
                    Futures.repeat(() -> l.accept().map(a -> {
                        LOG.info("association from {} port {} on shard {}: {} out / {} in streams", a.peerAddress(),
                                a.peerPort(), Shard.currentId(), a.outboundStreams(), a.inboundStreams());
                        echo(a);
                        return false;
                    })).ignoreFailure();
                    return Future.done();
                }))
                .flatMap(v -> {
                    LOG.info("sctp-echo server on {} SCTP port {} over {} on {} shard(s)", o.address, o.port,
                            o.transport.equals("udp") ? "UDP port " + o.udpPort : "raw IP", group.shardCount());
                    return ctx.stopRequested();
                })
                .finallyDoAsync(group::stop)
                .map(v -> 0));
    }

    /** Sends every received message back on its stream, with its PPID and flag; the buffer goes back as it is. */
    private static void echo(SctpAssociation a) {
        Futures.repeat(() -> a.receive().flatMap(e -> {
            if (e instanceof SctpReceivedMessage m) {
                return a.send(new SctpMessage(m.stream(), m.ppid(), m.unordered(), m.payload())).map(v -> false);
            }
            LOG.info("{}: {}", a, e);
            return Future.ready(false);
        })).ignoreFailure();
    }

    private static Future<Integer> client(Options o) {
        SctpStack stack = new SctpStack(transport(o, false));
        return Async.run(() -> {
            try {
                SctpAssociation a = Async.await(stack.connect(SocketAddress.of(o.address, o.port),
                        InitOptions.defaults().withStreams(Math.max(o.streams, 1), 16)).withTimeout(Duration.ofSeconds(30)));
                int streams = Math.min(o.streams, a.outboundStreams());
                long t0 = System.nanoTime();
                Future<Void> sender = Async.run(() -> {
                    for (int i = 0; i < o.count; i++) {
                        byte[] p = new byte[o.size];
                        java.util.Arrays.fill(p, (byte) i);
                        Async.await(a.send(new SctpMessage(i % streams, o.ppid, false, p)));
                    }
                    return null;
                });
                int[] next = new int[streams];
                for (int k = 0; k < o.count; k++) {
                    SctpEvent e = Async.await(a.receive().withTimeout(Duration.ofSeconds(30)));
                    if (!(e instanceof SctpReceivedMessage m)) {
                        k--;
                        continue;
                    }
                    int expect = next[m.stream()] * streams + m.stream();
                    next[m.stream()]++;
                    boolean same = m.payload().length() == o.size && (o.size == 0 || m.payload().get(0) == (byte) expect)
                            && m.ppid() == o.ppid;
                    m.release();
                    if (!same) {
                        System.out.println("sctp-echo: echo " + k + " differs (stream " + m.stream() + ")");
                        return 1;
                    }
                }
                Async.await(sender);
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf("sctp-echo: %d messages of %d bytes echoed on %d streams in %.3f s (%.0f msg/s)%n",
                        o.count, o.size, streams, s, o.count / s);
                Async.await(a.shutdown().withTimeout(Duration.ofSeconds(10)));
                return 0;
            } finally {
                stack.close();
            }
        });
    }
}
