package io.percore.sctp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import io.percore.net.SocketAddress;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * percore's SCTP against usrsctp 0.9.5 (Debian's libusrsctp), a peer nobody here wrote: percore client with a
 * usrsctp echo server, and a usrsctp client with a percore echo server, over UDP encapsulation and raw IPv4.
 * 10,000 messages of 1 byte to 256 KiB on 4 streams, ordered and unordered, PPIDs 18 and 60, each checked for
 * content, exactly-once delivery and per-stream order. usrsctp computes real checksums on loopback.
 */
class UsrsctpInteropTest {
    static final int COUNT = 10_000;
    static final int STREAMS = 4;
    static final InetAddress LOOPBACK = SocketAddress.parseLiteral("127.0.0.1");

    @BeforeAll
    static void tooling() {
        String why = UsrsctpPeer.unavailable();
        Assumptions.assumeTrue(why == null, () -> why);
    }

    static int freeUdpPort() throws Exception {
        return InteropSetup.freeUdpPort(LOOPBACK);
    }

    static int sctpPort() {
        return ThreadLocalRandom.current().nextInt(20000, 30000);
    }

    static void assumeRaw(String transport) {
        InteropSetup.assumeRaw(transport, LOOPBACK);
    }

    static SctpTransport transport(String kind, int remoteUdp) {
        return InteropSetup.transport(kind, remoteUdp, LOOPBACK);
    }

    static InitOptions options() {
        return InteropSetup.options();
    }

    @ParameterizedTest
    @ValueSource(strings = {"udp", "raw"})
    void percoreClientWithUsrsctpEchoServer(String kind) throws Exception {
        assumeRaw(kind);
        int udp = kind.equals("udp") ? freeUdpPort() : 0;
        int port = sctpPort();
        try (UsrsctpPeer server = new UsrsctpPeer("server", "" + udp, "127.0.0.1", "" + port)) {
            assertEquals("READY", server.readLine());
            Smp smp = Smp.start(SmpConfig.of(1, ReactorConfig.defaults()), r -> { });
            try {
                long received = smp.submitExternal(0, () -> Async.run(() -> {
                    SctpStack stack = new SctpStack(transport(kind, udp));
                    try {
                        SctpAssociation a = Async.await(stack.connect(new SocketAddress(LOOPBACK, port), options())
                                .withTimeout(Duration.ofSeconds(10)));
                        assertTrue(a.outboundStreams() >= STREAMS);
                        Future<Void> sender = Async.run(() -> {
                            for (long i = 0; i < COUNT; i++) {
                                Async.await(a.send(InteropPattern.message(i, STREAMS)));
                            }
                            return null;
                        });
                        InteropPattern.Checker checker = new InteropPattern.Checker(COUNT, STREAMS);
                        while (checker.received < COUNT) {
                            SctpEvent e = Async.await(a.receive().withTimeout(Duration.ofSeconds(20)));
                            if (e instanceof SctpReceivedMessage m) {
                                checker.check(m);
                            }
                        }
                        Async.await(sender);
                        Async.await(a.shutdown().withTimeout(Duration.ofSeconds(10)));
                        return checker.received;
                    } finally {
                        stack.close();
                    }
                })).get(60, TimeUnit.SECONDS);
                assertEquals(COUNT, received);
            } finally {
                smp.stop();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"udp", "raw"})
    void usrsctpClientWithPercoreEchoServer(String kind) throws Exception {
        assumeRaw(kind);
        int port = sctpPort();
        Smp smp = Smp.start(SmpConfig.of(1, ReactorConfig.defaults()), r -> { });
        try {
            int[] ourUdp = new int[1];
            SctpStack[] stack = new SctpStack[1];
            smp.submitExternal(0, () -> {
                SctpTransport t = transport(kind, UdpEncapsulation.DEFAULT_PORT);
                if (t instanceof UdpEncapsulation u) {
                    ourUdp[0] = u.localPort();
                }
                stack[0] = new SctpStack(t);
                SctpServerSocket l = stack[0].listen(new SocketAddress(LOOPBACK, port), options());
                EchoServer.serve(l);
                return Future.done();
            }).get(10, TimeUnit.SECONDS);
            String localUdp = kind.equals("udp") ? "" + freeUdpPort() : "0";
            try (UsrsctpPeer client = new UsrsctpPeer("client", localUdp, "" + ourUdp[0], "127.0.0.1", "" + port,
                    "" + COUNT, "" + STREAMS)) {
                String result = client.readLine();
                assertNotNull(result, "usrsctp client ended without a word");
                assertEquals("OK " + COUNT + " messages", result.substring(0, Math.min(result.length(),
                        ("OK " + COUNT + " messages").length())), String.join("\n", client.lines));
            }
            smp.submitExternal(0, () -> {
                stack[0].close();
                return Future.done();
            }).get(10, TimeUnit.SECONDS);
        } finally {
            smp.stop();
        }
    }
}
