package io.percore.apps.echo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.app.AppTemplate;
import io.percore.reactor.ReactorBackends;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code percore echo} as users run it: a child JVM with the launcher's flags, answering plain JDK TCP and UDP
 * clients over IPv4 and IPv6 on one port, then stopping in order on SIGTERM.
 */
@Timeout(90)
class EchoProcessTest {
    private static final Pattern SERVING = Pattern.compile("echo: TCP and UDP on (\\S+):(\\d+)");

    static List<String> backends() {
        return ReactorBackends.AVAILABLE;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void echoesTcpAndUdpOverBothFamiliesThenStopsOnSigterm(String backend) throws Exception {
        Process p = new ProcessBuilder(java(), "--enable-native-access=ALL-UNNAMED", "--add-exports",
                "java.base/jdk.internal.vm=ALL-UNNAMED", "-ea", "-cp", testClassPath(), "io.percore.apps.Main",
                "echo", "--port", "0", "--smp", "2", "--reactor-backend", backend).start();
        List<String> log = new CopyOnWriteArrayList<>();
        pump(p.getErrorStream(), log);
        pump(p.getInputStream(), log);
        try {
            int port = awaitPort(log, p);
            // TCP, both families, several connections at once (they spread over both shards).
            List<Socket> clients = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(i % 2 == 0 ? "127.0.0.1" : "::1", port), 5000);
                s.setSoTimeout(10_000);
                clients.add(s);
            }
            for (int i = 0; i < clients.size(); i++) {
                byte[] line = ("line " + i + " over " + (i % 2 == 0 ? "IPv4" : "IPv6") + "\n").getBytes(StandardCharsets.UTF_8);
                clients.get(i).getOutputStream().write(line);
                assertArrayEquals(line, clients.get(i).getInputStream().readNBytes(line.length));
            }
            for (Socket s : clients) {
                s.shutdownOutput();
                assertEquals(-1, s.getInputStream().read(), "the server ends its side after ours");
                s.close();
            }
            // UDP, both families, the same port.
            udpRoundTrip(InetAddress.getByName("127.0.0.1"), port);
            udpRoundTrip(InetAddress.getByName("::1"), port);

            ProcessBuilder kill = new ProcessBuilder("kill", "-TERM", Long.toString(p.pid()));
            assertEquals(0, kill.start().waitFor());
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "stops after SIGTERM:\n" + String.join("\n", log));
            assertEquals(0, p.exitValue(), String.join("\n", log));
            assertTrue(log.stream().anyMatch(l -> l.contains("echo: stopping after 10 TCP connection(s) and 2 datagram(s)")),
                    String.join("\n", log));
        } finally {
            p.destroyForcibly();
        }
    }

    private static void udpRoundTrip(InetAddress server, int port) throws IOException {
        try (DatagramSocket d = new DatagramSocket(new InetSocketAddress(server, 0))) {
            d.setSoTimeout(10_000);
            byte[] out = ("datagram to " + server.getHostAddress()).getBytes(StandardCharsets.UTF_8);
            d.send(new DatagramPacket(out, out.length, server, port));
            DatagramPacket in = new DatagramPacket(new byte[1024], 1024);
            d.receive(in);
            assertEquals(new String(out, StandardCharsets.UTF_8),
                    new String(in.getData(), 0, in.getLength(), StandardCharsets.UTF_8));
            assertEquals(port, in.getPort());
        }
    }

    @Test
    void aPortOutOfRangeFailsAtStart() {
        EchoApp.Options options = new EchoApp.Options();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = AppTemplate.builder("percore echo").handleSignals(false).options(options)
                .output(System.out, new PrintStream(err, true, StandardCharsets.UTF_8))
                .runForExitCode(new String[] {"--smp", "1", "--port", "70000"}, ctx -> EchoApp.serve(ctx, options));
        assertEquals(AppTemplate.EXIT_FAILURE, code);
    }

    private static int awaitPort(List<String> log, Process p) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (String l : log) {
                Matcher m = SERVING.matcher(l);
                if (m.find()) {
                    return Integer.parseInt(m.group(2));
                }
            }
            if (!p.isAlive()) {
                break;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no 'echo: TCP and UDP on' line:\n" + String.join("\n", log));
    }

    private static void pump(InputStream in, List<String> lines) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (IOException e) {
                lines.add("<read failed: " + e + ">");
            }
        }, "echo-child-output");
        t.setDaemon(true);
        t.start();
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Surefire runs tests from a manifest-only jar and passes the real class path in this property. */
    private static String testClassPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }
}
