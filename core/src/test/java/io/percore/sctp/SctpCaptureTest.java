package io.percore.sctp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.core.Offload;
import io.percore.net.SocketAddress;
import io.percore.sys.ErrnoException;
import io.percore.sys.RawSocket;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What percore puts on the wire, judged by Wireshark's SCTP dissector (tshark), nobody's code here: an association
 * between two percore stacks on loopback is captured with dumpcap on {@code lo} (filtered to the test's own ports),
 * over raw IP and over UDP encapsulation, IPv4 and IPv6. tshark must find a good CRC32c on every packet and the
 * chunk sequence of a whole life: INIT, INIT-ACK, COOKIE-ECHO, COOKIE-ACK, DATA and SACK, SHUTDOWN, SHUTDOWN-ACK,
 * SHUTDOWN-COMPLETE. One packet with a corrupted checksum is sent on purpose: tshark must call it bad (so the
 * verification is really on) and percore must have dropped it (the association lives on).
 */
class SctpCaptureTest {
    static final int MESSAGES = 24;

    @BeforeAll
    static void tooling() {
        Assumptions.assumeTrue(onPath("tshark"), "tshark is not installed (.ci/run installs it): capture test skipped");
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    static byte[] payload(int i) {
        byte[] b = new byte[i % 6 == 5 ? 5000 : 1 + i * 37]; // 5000 bytes: fragmented into several DATA chunks
        for (int k = 0; k < b.length; k++) {
            b[k] = (byte) (i * 31 + k);
        }
        return b;
    }

    @ParameterizedTest(name = "{0} over {1}")
    @CsvSource({"raw, 127.0.0.1", "udp, 127.0.0.1", "raw, ::1", "udp, ::1"})
    void wiresharkSeesGoodChecksumsAndTheWholeChunkSequence(String kind, String ipLiteral) throws Exception {
        SocketAddress host = SocketAddress.of(ipLiteral, 0);
        boolean v6 = host.isIpv6();
        if (kind.equals("raw")) {
            try {
                RawSocket.open(v6, RawSocket.SOCK_RAW, RawSocket.IPPROTO_SCTP).close();
            } catch (ErrnoException e) {
                Assumptions.abort("raw IP needs CAP_NET_RAW: " + e.getMessage());
            }
        }
        int sctpPort = ThreadLocalRandom.current().nextInt(40000, 49000);
        Path dir = Files.createTempDirectory("percore-capture");
        Path file = dir.resolve("sctp.pcapng");
        try {
            captureAndCheck(kind, host, sctpPort, file);
        } finally {
            Files.deleteIfExists(file);
            Files.delete(dir);
        }
    }

    private static void captureAndCheck(String kind, SocketAddress host, int sctpPort, Path file) throws Exception {
        int[] udpPort = new int[1];
        long[] ends = new long[3]; // the client's SCTP port, its verification tag, the server's tag
        // For UDP the server's socket is bound before the capture starts, so that the filter can name its port.
        SctpTesting.onShard(60, () -> {
            Session s = new Session(kind, host, sctpPort);
            try {
                udpPort[0] = s.serverUdpPort;
                String filter = kind.equals("raw") ? "sctp port " + sctpPort : "udp port " + s.serverUdpPort;
                Capture capture = Async.await(Offload.run(() -> Capture.start(filter, file)));
                try {
                    SctpAssociation a = s.run();
                    ends[0] = a.localPort();
                    ends[1] = Integer.toUnsignedLong(a.localTag);
                    ends[2] = Integer.toUnsignedLong(a.peerTag);
                } finally {
                    Async.await(Offload.run(() -> {
                        capture.stop();
                        return null;
                    }));
                }
            } finally {
                s.close();
            }
            return null;
        });

        // Reassembly off: with it, tshark leaves out of its field list a chunk bundled after a message's last fragment.
        List<String> cmd = new ArrayList<>(List.of("tshark", "-r", file.toString(), "-o", "sctp.checksum:CRC-32C",
                "-o", "sctp.reassembly:FALSE"));
        if (kind.equals("udp")) {
            cmd.addAll(List.of("-d", "udp.port==" + udpPort[0] + ",sctp"));
        }
        cmd.addAll(List.of("-T", "fields", "-E", "separator=/t", "-e", "sctp.chunk_type", "-e",
                "sctp.checksum.status", "-e", "sctp.srcport", "-e", "sctp.verification_tag"));
        List<String> lines = run(cmd);
        List<Integer> sequence = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        List<String> foreign = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split("\t", -1);
            assertEquals(4, f.length, "tshark line: " + line);
            assertTrue(!f[0].isEmpty(), "a packet tshark did not decode as SCTP: " + line);
            // Ours: the client's packets carry the server's tag (its INIT carries 0), the server's the client's.
            // On raw sockets every SCTP stack of the host sees our packets, and another one (a usrsctp peer of a
            // test running beside this one, say) answers an out-of-the-blue SHUTDOWN-ACK with a SHUTDOWN-COMPLETE
            // reflecting the tag it saw: such packets are not percore's and are left out of the sequence.
            long tag = Long.decode(f[3]);
            boolean fromClient = Integer.parseInt(f[2]) == ends[0];
            boolean ours = fromClient ? tag == ends[2] || tag == 0 && f[0].equals("1") : tag == ends[1];
            if (!ours) {
                foreign.add(line);
                assertTrue(kind.equals("raw") && (tag == ends[1] || tag == ends[2]),
                        "a packet neither end should have sent: " + line);
                continue;
            }
            switch (f[1]) {
                case "1" -> { // Good
                    for (String t : f[0].split(",")) {
                        sequence.add(Integer.parseInt(t));
                    }
                }
                case "0" -> bad.add(f[0]); // Bad
                default -> throw new AssertionError("checksum not verified (status " + f[1] + "): " + line);
            }
        }
        assertEquals(List.of("6"), bad, "exactly the one corrupted packet (an ABORT) has a bad checksum; good chunks "
                + sequence + "; other stacks' packets " + foreign);
        String seq = sequence.stream().map(String::valueOf).collect(Collectors.joining(" "));
        // Retransmissions on a loaded machine may repeat a step; the order may not change. Heartbeats (4, 5) and
        // SACKs (3) may come between the data and the SHUTDOWN.
        Pattern life = Pattern.compile("(1 )+(2 )+(10 )+(11 )+((0|3|4|5) )*(7 )+((3|4|5) )*(8 )+14");
        assertTrue(life.matcher(seq).matches(), "chunk sequence " + seq + "; other stacks' packets " + foreign);
        long data = sequence.stream().filter(t -> t == 0).count();
        long atLeast = 0;
        for (int i = 0; i < MESSAGES; i++) {
            atLeast += 2 * ((payload(i).length + 1499) / 1500); // each way; a DATA chunk carries under the MTU
        }
        assertTrue(data >= atLeast, "DATA chunks " + data + ", expected at least " + atLeast);
        assertTrue(sequence.contains(3), "no SACK in " + seq);
    }

    /** Two percore stacks on one shard, one echoing what the other sends. Owner shard only. */
    static final class Session {
        final SctpStack server;
        final SctpStack client;
        final SocketAddress serverAddress;
        final int serverUdpPort;

        Session(String kind, SocketAddress host, int sctpPort) {
            serverAddress = host.withPort(sctpPort);
            if (kind.equals("udp")) {
                UdpEncapsulation su = UdpEncapsulation.bind(host, UdpEncapsulation.DEFAULT_PORT, false);
                serverUdpPort = su.localPort();
                server = new SctpStack(su);
                client = new SctpStack(UdpEncapsulation.bind(host, serverUdpPort, false));
            } else {
                serverUdpPort = 0;
                server = new SctpStack(RawIpTransport.open(host.ip()));
                client = new SctpStack(RawIpTransport.open(host.ip()));
            }
        }

        /**
         * The association's life: handshake, echoes, one corrupted packet, graceful shutdown. In {@link Async}.
         *
         * @return the client's side of the association, closed
         */
        SctpAssociation run() {
            EchoServer.serve(server.listen(serverAddress, InitOptions.defaults()));
            SctpAssociation a = Async.await(client.connect(serverAddress, InitOptions.defaults().withStreams(4, 4))
                    .withTimeout(Duration.ofSeconds(10)));
            for (int i = 0; i < MESSAGES; i++) {
                Async.await(a.send(new SctpMessage(i % 4, i % 2 == 0 ? 60 : 18, i % 3 == 1, payload(i))));
            }
            int got = 0;
            while (got < MESSAGES) {
                if (Async.await(a.receive().withTimeout(Duration.ofSeconds(10))) instanceof SctpReceivedMessage) {
                    got++;
                }
            }
            long malformed = server.dropCounters()[0];
            sendCorrupted(a);
            for (int i = 0; i < 200 && server.dropCounters()[0] == malformed; i++) {
                Async.sleep(Duration.ofMillis(10));
            }
            // At least: on raw sockets, other stacks' packets with bad checksums may be counted too.
            assertTrue(server.dropCounters()[0] > malformed, "the corrupted packet was dropped as malformed");
            assertEquals(SctpAssociation.State.ESTABLISHED, a.state());
            Async.await(a.shutdown().withTimeout(Duration.ofSeconds(10)));
            // Close only once the server side is gone too, or closing would ABORT it on the wire.
            for (int i = 0; i < 500 && server.associationCount() > 0; i++) {
                Async.sleep(Duration.ofMillis(10));
            }
            assertEquals(0, server.associationCount(), "server association closed by SHUTDOWN-COMPLETE");
            return a;
        }

        /**
         * An ABORT with the right ports and tag for the server's side of the association, whose checksum is off by
         * one bit: it must be dropped, never obeyed.
         */
        private void sendCorrupted(SctpAssociation a) {
            byte[] b = new byte[64];
            int n = SctpCodec.encode(new SctpPacket(a.localPort(), a.peerPort(), a.peerTag,
                    List.of(new Chunk.Abort(false, List.of()))), b, 0);
            b[8] ^= 1; // the checksum field
            boolean udp = serverUdpPort != 0;
            try (RawSocket s = RawSocket.open(serverAddress.isIpv6(), udp ? RawSocket.SOCK_DGRAM : RawSocket.SOCK_RAW,
                    udp ? RawSocket.IPPROTO_UDP : RawSocket.IPPROTO_SCTP)) {
                assertEquals(n, s.sendTo(b, 0, n, serverAddress.ip(), udp ? serverUdpPort : 0));
            }
        }

        void close() {
            client.close();
            server.close();
        }
    }

    /** A dumpcap (or tshark) capture on the loopback interface into a file. */
    static final class Capture {
        private static final Pattern STATS = Pattern.compile("Packets received/dropped on interface .*: (\\d+)/(\\d+)");
        private final Process process;
        private final Thread reader;
        private final List<String> said;

        private Capture(Process process, Thread reader, List<String> said) {
            this.process = process;
            this.reader = reader;
            this.said = said;
        }

        /** Starts capturing and returns once the capture is running. Blocking: off-shard only. */
        static Capture start(String filter, Path file) throws IOException, InterruptedException {
            boolean dumpcap = onPath("dumpcap");
            Process p = new ProcessBuilder(dumpcap ? "dumpcap" : "tshark", "-i", "lo", "-f", filter, "-w",
                    file.toString(), "-q").redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
            List<String> said = java.util.Collections.synchronizedList(new ArrayList<>());
            // dumpcap says "Capturing on" before it opens the interface and "File:" once the interface is open
            // and the output created; tshark says only the first, so it gets a longer grace.
            String ready = dumpcap ? "File:" : "Capturing on";
            for (String l; (l = err.readLine()) != null; ) {
                said.add(l);
                if (l.startsWith(ready)) {
                    Thread reader = Thread.ofVirtual().start(() -> collect(err, said)); // it must never block on us
                    Thread.sleep(dumpcap ? 200 : 1000);
                    return new Capture(p, reader, said);
                }
            }
            p.waitFor(5, TimeUnit.SECONDS);
            throw new IllegalStateException("the capture did not start: " + String.join("\n", said));
        }

        private static void collect(BufferedReader r, List<String> said) {
            try {
                for (String l; (l = r.readLine()) != null; ) {
                    said.add(l);
                }
            } catch (IOException e) {
                // the process ended
            }
        }

        /**
         * Lets the last packets in, then stops the capture (SIGTERM: dumpcap finishes the file). Off-shard.
         *
         * @throws IllegalStateException when the capture lost packets (a loaded machine), so that the test says so
         *                               rather than blaming the protocol
         */
        void stop() throws InterruptedException {
            Thread.sleep(300);
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException("capture did not stop");
            }
            reader.join(5000);
            synchronized (said) {
                for (String l : said) {
                    java.util.regex.Matcher m = STATS.matcher(l);
                    if (m.find() && !m.group(2).equals("0")) {
                        throw new IllegalStateException("the capture dropped packets: " + l);
                    }
                }
            }
        }
    }

    /** Runs a command, returns its standard output lines; fails on a non-zero exit. Off-shard. */
    static List<String> run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        }
        return out.lines().filter(l -> !l.isBlank()).toList();
    }
}
