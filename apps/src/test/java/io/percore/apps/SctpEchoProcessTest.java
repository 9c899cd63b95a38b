package io.percore.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code percore sctp-echo} as users run it: a server child JVM on two shards (one SO_REUSEPORT UDP socket per
 * shard) and two client child JVMs at once, each checking its echoes; every association is logged with the
 * shard that serves it, and the server stops cleanly on SIGTERM.
 */
@Timeout(120)
class SctpEchoProcessTest {
    @Test
    void serverOnTwoShardsEchoesSeveralClientsThenStops() throws Exception {
        int udp;
        try (DatagramSocket s = new DatagramSocket(0)) {
            udp = s.getLocalPort();
        }
        String port = "" + ThreadLocalRandom.current().nextInt(20000, 30000);
        try (JavaProcess server = JavaProcess.java("io.percore.apps.Main", "sctp-echo", "--mode", "server", "--smp", "2",
                "--address", "127.0.0.1", "--port", port, "--udp-port", "" + udp)) {
            assertTrue(server.awaitLine("on 2 shard(s)", Duration.ofSeconds(40)), server.transcript());
            List<JavaProcess> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    clients.add(JavaProcess.java("io.percore.apps.Main", "sctp-echo", "--mode", "client", "--smp", "1",
                            "--address", "127.0.0.1", "--port", port, "--udp-port", "" + udp, "--count", "300",
                            "--size", "" + (100 + 1000 * i), "--streams", "4"));
                }
                for (JavaProcess c : clients) {
                    assertEquals(0, c.exitCode(Duration.ofSeconds(60)), c.transcript());
                    assertTrue(c.out().stream().anyMatch(l -> l.contains("sctp-echo: 300 messages of")), c.transcript());
                }
            } finally {
                clients.forEach(JavaProcess::close);
            }
            long associations = server.err().stream().filter(l -> l.matches(".*association from .* on shard [01]:.*"))
                    .count() + server.out().stream().filter(l -> l.matches(".*association from .* on shard [01]:.*"))
                    .count();
            assertEquals(2, associations, server.transcript());
            server.signal("TERM");
            assertEquals(0, server.exitCode(Duration.ofSeconds(20)), server.transcript());
        }
    }
}
