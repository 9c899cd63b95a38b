package io.percore.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The unchanged apps on {@code --network-stack native}: {@code percore httpd}, {@code echo} and {@code sctp-echo} run as child
 * processes inside a network namespace this test creates, on a TAP device whose kernel side is 192.168.81.1 /
 * fd81::1 (addresses that exist only in that namespace); curl, wrk and nc, run in the same namespace with
 * {@code ip netns exec}, are the Linux kernel's TCP/IP talking to percore's (and sctp-echo's client, on the POSIX
 * stack there, SCTP over the kernel's UDP to the server's over the native stack). The namespace (and with it the TAP) is
 * deleted afterwards and every child process killed, whatever the outcome.
 *
 * <p>Needs root, /dev/net/tun and iproute2; skipped with a message otherwise. curl and nc are needed by their tests;
 * wrk is used when installed.
 */
@Timeout(120)
class NativeStackAppTest {
    private static final String NS = "pcapp" + ProcessHandle.current().pid();
    private static final String TAP = "pcapp0";
    private static final String HOST4 = "192.168.81.2";
    private static final String HOST6 = "fd81::2";
    private static boolean created;
    private static final List<JavaProcess> children = new ArrayList<>();

    @BeforeAll
    static void createNamespace() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        boolean tun = Files.exists(Path.of("/dev/net/tun"));
        boolean ip = Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"));
        assumeTrue(root && tun && ip, "native stack app tests need root, /dev/net/tun and iproute2 (root=" + root
                + ", tun=" + tun + ", ip=" + ip + "); skipped");
        assumeTrue(run("ip", "netns", "add", NS).exit == 0, "cannot create a network namespace; skipped");
        created = true;
        ns("ip", "link", "set", "lo", "up");
        // Persistent and multi-queue: each child opens one queue per shard and closes them when it exits.
        ns("ip", "tuntap", "add", "dev", TAP, "mode", "tap", "multi_queue", "vnet_hdr");
        ns("ip", "link", "set", TAP, "up");
        ns("ip", "addr", "add", "192.168.81.1/24", "dev", TAP);
        ns("ip", "-6", "addr", "add", "fd81::1/64", "dev", TAP, "nodad");
    }

    @AfterAll
    static void deleteNamespace() throws Exception {
        for (JavaProcess p : children) {
            p.close();
        }
        if (created) {
            run("ip", "netns", "del", NS);
        }
    }

    @BeforeEach
    void forgetNeighbours() throws Exception {
        // Each child picks a random MAC; the kernel must not reuse the last one's.
        ns("ip", "neigh", "flush", "dev", TAP);
    }

    @Test
    void curlAndWrkReachHttpdOverTheNativeStack() throws Exception {
        assumeTrue(available("curl"), "curl is not installed; skipped");
        try (JavaProcess httpd = app("httpd", "--port", "8080")) {
            assertTrue(httpd.awaitLine("listening on http://", Duration.ofSeconds(60)), httpd::transcript);
            Result hello = nsRun(Duration.ofSeconds(20), "curl", "-sS", "--max-time", "10", "http://" + HOST4 + ":8080/");
            assertEquals(0, hello.exit, () -> hello.err + httpd.transcript());
            assertEquals("Hello, World!", hello.out);
            // httpd listens on 0.0.0.0 by default; the JSON route over a second connection and shard.
            Result json = nsRun(Duration.ofSeconds(20), "curl", "-sS", "--max-time", "10", "http://" + HOST4 + ":8080/json",
                    "http://" + HOST4 + ":8080/plaintext");
            assertEquals("{\"message\":\"Hello, World!\"}Hello, World!", json.out, json.err);
            if (available("wrk")) {
                Result wrk = nsRun(Duration.ofSeconds(30), "wrk", "-t1", "-c8", "-d2s", "--timeout", "5s",
                        "http://" + HOST4 + ":8080/");
                assertEquals(0, wrk.exit, wrk.err);
                Matcher m = Pattern.compile("Requests/sec:\\s+([0-9.]+)").matcher(wrk.out);
                assertTrue(m.find(), wrk.out);
                assertTrue(Double.parseDouble(m.group(1)) > 10, wrk.out);
                assertFalse(wrk.out.contains("Socket errors"), wrk.out);
                assertFalse(wrk.out.contains("Non-2xx"), wrk.out);
                System.out.println("wrk against httpd on the native stack (TAP, noisy machine): " + m.group(1) + " req/s");
            }
            httpd.signal("TERM");
            assertEquals(0, httpd.exitCode(Duration.ofSeconds(30)), httpd::transcript);
        }
    }

    @Test
    void ncReachesEchoOverIpv4AndIpv6AndUdp() throws Exception {
        assumeTrue(available("nc"), "nc is not installed; skipped");
        try (JavaProcess echo = app("echo", "--port", "7777", "--host-ipv6-addr", HOST6 + "/64")) {
            assertTrue(echo.awaitLine("echo: TCP and UDP on", Duration.ofSeconds(60)), echo::transcript);
            Result v4 = nsRun(Duration.ofSeconds(20), "sh", "-c", "printf 'over IPv4' | nc -N -w 5 " + HOST4 + " 7777");
            assertEquals("over IPv4", v4.out, () -> v4.err + echo.transcript());
            Result v6 = nsRun(Duration.ofSeconds(20), "sh", "-c", "printf 'over IPv6' | nc -N -w 5 " + HOST6 + " 7777");
            assertEquals("over IPv6", v6.out, v6.err);
            Result udp = nsRun(Duration.ofSeconds(20), "sh", "-c", "printf 'a datagram' | nc -u -w 2 " + HOST4 + " 7777");
            assertEquals("a datagram", udp.out, udp.err);
            echo.signal("TERM");
            assertEquals(0, echo.exitCode(Duration.ofSeconds(30)), echo::transcript);
            assertTrue(echo.awaitLine("stopping after 2 TCP connection(s) and 1 datagram(s)", Duration.ofSeconds(1)),
                    echo::transcript);
        }
    }

    @Test
    void aKernelSctpEchoClientReachesTheServerOnTheNativeStack() throws Exception {
        try (JavaProcess server = app("sctp-echo", "--mode", "server", "--address", HOST4)) {
            assertTrue(server.awaitLine("sctp-echo server on", Duration.ofSeconds(60)), server::transcript);
            // The client is an unchanged sctp-echo on the POSIX stack: the kernel's UDP in the same namespace.
            List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NS,
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
                    "-cp", classPath(), "io.percore.apps.Main", "sctp-echo", "--mode", "client", "--address", HOST4,
                    "--count", "300", "--size", "200", "--smp", "1", "--memory", "256M"));
            try (JavaProcess client = JavaProcess.start(cmd, Map.of(), null)) {
                children.add(client);
                assertEquals(0, client.exitCode(Duration.ofSeconds(60)), () -> client.transcript() + server.transcript());
                assertTrue(client.awaitLine("300 messages of 200 bytes echoed", Duration.ofSeconds(1)), client::transcript);
            }
            assertTrue(server.awaitLine("association from 192.168.81.1", Duration.ofSeconds(1)), server::transcript);
            server.signal("TERM");
            assertEquals(0, server.exitCode(Duration.ofSeconds(30)), server::transcript);
        }
    }

    @Test
    void aTapThatCannotBeOpenedEndsTheProgramBeforeItRuns() throws Exception {
        // A name the kernel refuses for a TAP (an existing non-TAP interface: the namespace's loopback).
        try (JavaProcess echo = app("echo", "--tap-device", "lo")) {
            assertEquals(1, echo.exitCode(Duration.ofSeconds(60)), echo::transcript);
            assertTrue(echo.awaitLine("could not open TAP device lo", Duration.ofSeconds(1)), echo::transcript);
            assertFalse(echo.awaitLine("echo: TCP and UDP on", Duration.ofMillis(1)), echo::transcript);
        }
    }

    /** Starts {@code percore APP} in the namespace on the native stack, 2 shards; later args override. */
    private static JavaProcess app(String name, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NS,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED", "-ea",
                "-cp", classPath(), "io.percore.apps.Main", name, "--smp", "2", "--memory", "512M",
                "--network-stack", "native", "--host-ipv4-addr", HOST4, "--gw-ipv4-addr", "192.168.81.1"));
        List<String> args = new ArrayList<>(List.of(extra));
        if (!args.contains("--tap-device")) {
            args.addAll(List.of("--tap-device", TAP));
        }
        cmd.addAll(args);
        // ip netns exec execs the command: the child's pid is the JVM's, so signals reach it.
        JavaProcess p = JavaProcess.start(cmd, Map.of(), null);
        children.add(p);
        return p;
    }

    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    private static boolean available(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private record Result(int exit, String out, String err) {}

    private static void ns(String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NS));
        cmd.addAll(List.of(command));
        Result r = run(Duration.ofSeconds(20), cmd);
        if (r.exit != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + r.exit + "): " + r.err);
        }
    }

    private static Result nsRun(Duration timeout, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", NS));
        cmd.addAll(List.of(command));
        return run(timeout, cmd);
    }

    private static Result run(String... command) throws Exception {
        return run(Duration.ofSeconds(20), List.of(command));
    }

    private static Result run(Duration timeout, List<String> command) throws Exception {
        Path out = Files.createTempFile("percore-ns", ".out");
        Path err = Files.createTempFile("percore-ns", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                return new Result(-1, Files.readString(out, StandardCharsets.ISO_8859_1),
                        "timed out after " + timeout + ": " + Files.readString(err, StandardCharsets.ISO_8859_1));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1),
                    Files.readString(err, StandardCharsets.ISO_8859_1));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
