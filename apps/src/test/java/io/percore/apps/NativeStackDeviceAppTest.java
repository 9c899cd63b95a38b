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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The apps on the native stack's other ways to reach the network: {@code --dhcp} and {@code --packet-interface}.
 * Three network namespaces of the test's own:
 * <ul>
 *   <li>T holds two TAP devices: {@code pcdh0}, whose kernel side is 192.168.83.1 with dnsmasq serving DHCP on it,
 *   and {@code pcdh1} (192.168.84.1) where nobody answers DHCP;
 *   <li>A and B are joined by a veth pair: {@code vqa} in A is 192.168.85.1 with dnsmasq serving DHCP on it,
 *   {@code vqb} in B has no address and IPv6 disabled (so B's kernel stays silent) and the app runs on it through
 *   AF_PACKET, as 192.168.85.2 or with a leased address.
 * </ul>
 * Each dnsmasq serves DHCP only (no DNS port, no configuration file; range .50-.60, router .1, DNS .53; lease, pid
 * and log files in a temporary directory).
 * The apps run as child processes with {@code ip netns exec}; nc and curl in the peer namespace are the Linux kernel's
 * TCP/IP talking to percore's. dnsmasq, every child and all three namespaces are removed afterwards, whatever the
 * outcome.
 *
 * <p>Needs root, /dev/net/tun and iproute2 (skipped with a message otherwise); dnsmasq, nc and curl for their tests.
 */
@Timeout(120)
class NativeStackDeviceAppTest {
    private static final long PID = ProcessHandle.current().pid();
    private static final String NS_T = "pcdht" + PID, NS_A = "pcdha" + PID, NS_B = "pcdhb" + PID;
    private static final List<String> namespaces = new ArrayList<>();
    private static final List<JavaProcess> children = new ArrayList<>();
    private static Path dir;
    private static Process dnsmasqT, dnsmasqA;

    @BeforeAll
    static void createNamespaces() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        boolean tun = Files.exists(Path.of("/dev/net/tun"));
        assumeTrue(root && tun && available("ip"), "native stack device tests need root, /dev/net/tun and iproute2 "
                + "(root=" + root + ", tun=" + tun + "); skipped");
        for (String ns : List.of(NS_T, NS_A, NS_B)) {
            assumeTrue(run(List.of("ip", "netns", "add", ns)).exit == 0, "cannot create a network namespace; skipped");
            namespaces.add(ns);
            must("ip", "-n", ns, "link", "set", "lo", "up");
        }
        for (String[] tap : new String[][] {{"pcdh0", "192.168.83.1/24"}, {"pcdh1", "192.168.84.1/24"}}) {
            // Persistent and multi-queue: each child opens one queue per shard and closes them when it exits.
            must("ip", "-n", NS_T, "tuntap", "add", "dev", tap[0], "mode", "tap", "multi_queue", "vnet_hdr");
            must("ip", "-n", NS_T, "addr", "add", tap[1], "dev", tap[0]);
            must("ip", "-n", NS_T, "link", "set", tap[0], "up");
        }
        must("ip", "-n", NS_A, "link", "add", "vqa", "type", "veth", "peer", "name", "vqb", "netns", NS_B);
        must("ip", "netns", "exec", NS_B, "sysctl", "-q", "-w", "net.ipv6.conf.vqb.disable_ipv6=1");
        must("ip", "-n", NS_A, "addr", "add", "192.168.85.1/24", "dev", "vqa");
        must("ip", "-n", NS_A, "link", "set", "vqa", "up");
        must("ip", "-n", NS_B, "link", "set", "vqb", "up");
        if (available("dnsmasq")) {
            dir = Files.createTempDirectory("percore-app-dnsmasq");
            dnsmasqT = dnsmasq(NS_T, "pcdh0", "192.168.83");
            dnsmasqA = dnsmasq(NS_A, "vqa", "192.168.85");
        }
    }

    /** dnsmasq serving DHCP only on {@code iface} in {@code ns}: range .50-.60 of {@code net}, router .1, DNS .53. */
    private static Process dnsmasq(String ns, String iface, String net) throws IOException {
        // --bind-dynamic: a TAP has no carrier until the app opens it.
        return new ProcessBuilder("ip", "netns", "exec", ns, "dnsmasq", "--no-daemon", "--conf-file=/dev/null",
                "--port=0", "--interface=" + iface, "--bind-dynamic", "--user=root", "--group=root", "--no-ping",
                "--dhcp-authoritative", "--log-dhcp", "--log-facility=-",
                "--dhcp-range=" + net + ".50," + net + ".60,255.255.255.0,2m",
                "--dhcp-option=option:router," + net + ".1", "--dhcp-option=option:dns-server," + net + ".53",
                "--dhcp-leasefile=" + dir.resolve(iface + ".leases"), "--pid-file=" + dir.resolve(iface + ".pid"))
                .redirectErrorStream(true).redirectOutput(dir.resolve(iface + ".log").toFile()).start();
    }

    @AfterAll
    static void deleteNamespaces() throws Exception {
        for (JavaProcess p : children) {
            p.close();
        }
        for (Process d : new Process[] {dnsmasqT, dnsmasqA}) {
            if (d != null) {
                d.destroy();
                if (!d.waitFor(10, TimeUnit.SECONDS)) {
                    d.destroyForcibly();
                }
            }
        }
        for (String ns : namespaces) {
            run(List.of("ip", "netns", "del", ns));
        }
        if (dir != null) {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void echoWithDhcpGetsALeaseFromDnsmasqAndNcReachesItThere() throws Exception {
        assumeTrue(dnsmasqT != null && available("nc"), "dnsmasq or nc is not installed; skipped");
        assertTrue(dnsmasqT.isAlive(), () -> dnsmasqLog("pcdh0"));
        try (JavaProcess echo = app(NS_T, "echo", "--port", "7777", "--tap-device", "pcdh0", "--dhcp",
                "--dhcp-timeout-s", "15")) {
            assertTrue(echo.awaitLine("echo: TCP and UDP on", Duration.ofSeconds(40)),
                    () -> echo.transcript() + "\n--- dnsmasq\n" + dnsmasqLog("pcdh0"));
            String address = leasedAddress(echo, "192.168.83", "pcdh0");
            // Four connections: the flows spread over both shards, and each shard must answer on the leased address.
            Result tcp = nsRun(NS_T, "sh", "-c", "for i in 1 2 3 4; do printf \"leased$i \" | nc -N -w 5 " + address
                    + " 7777; done");
            assertEquals("leased1 leased2 leased3 leased4 ", tcp.out, () -> tcp.err + echo.transcript());
            Result udp = nsRun(NS_T, "sh", "-c", "printf 'a datagram' | nc -u -w 2 " + address + " 7777");
            assertEquals("a datagram", udp.out, udp.err);
            echo.signal("TERM");
            assertEquals(0, echo.exitCode(Duration.ofSeconds(30)), echo::transcript);
            assertTrue(echo.awaitLine("stopping after 4 TCP connection(s) and 1 datagram(s)", Duration.ofSeconds(1)),
                    echo::transcript);
        }
    }

    @Test
    void httpdWithDhcpOnAPacketInterfaceAnswersCurlAtTheLeasedAddress() throws Exception {
        assumeTrue(dnsmasqA != null && available("curl"), "dnsmasq or curl is not installed; skipped");
        assertTrue(dnsmasqA.isAlive(), () -> dnsmasqLog("vqa"));
        try (JavaProcess httpd = app(NS_B, "httpd", "--port", "8080", "--packet-interface", "vqb", "--dhcp",
                "--dhcp-timeout-s", "15")) {
            assertTrue(httpd.awaitLine("listening on http://", Duration.ofSeconds(40)),
                    () -> httpd.transcript() + "\n--- dnsmasq\n" + dnsmasqLog("vqa"));
            String address = leasedAddress(httpd, "192.168.85", "vqa");
            Result hello = nsRun(NS_A, "curl", "-sS", "--max-time", "10", "http://" + address + ":8080/");
            assertEquals("Hello, World!", hello.out, () -> hello.err + httpd.transcript());
            httpd.signal("TERM");
            assertEquals(0, httpd.exitCode(Duration.ofSeconds(30)), httpd::transcript);
        }
    }

    /**
     * @return the address the app logged as leased on {@code net}.0/24; checks the rest of the lease, and that the
     * lease file of the dnsmasq on {@code iface} has it
     */
    private static String leasedAddress(JavaProcess app, String net, String iface) throws IOException {
        String n = net.replace(".", "\\.");
        Matcher m = Pattern.compile("DHCP lease: (" + n + "\\.(\\d+))/255\\.255\\.255\\.0, gateway " + n + "\\.1, DNS "
                + n + "\\.53").matcher(app.transcript());
        assertTrue(m.find(), app::transcript);
        String address = m.group(1);
        int last = Integer.parseInt(m.group(2));
        assertTrue(last >= 50 && last <= 60, address);
        assertTrue(Files.readString(dir.resolve(iface + ".leases")).contains(" " + address + " "), () -> dnsmasqLog(iface));
        return address;
    }

    @Test
    void withoutADhcpServerTheProgramEndsWithOneClearLine() throws Exception {
        try (JavaProcess echo = app(NS_T, "echo", "--tap-device", "pcdh1", "--dhcp", "--dhcp-timeout-s", "2")) {
            assertEquals(1, echo.exitCode(Duration.ofSeconds(40)), echo::transcript);
            assertTrue(echo.awaitLine("could not start the native stack: no DHCP lease on", Duration.ofSeconds(1)),
                    echo::transcript);
            assertFalse(echo.awaitLine("echo: TCP and UDP on", Duration.ofMillis(1)), echo::transcript);
            assertFalse(echo.transcript().contains("\tat "), () -> "no stack trace:\n" + echo.transcript());
            assertEquals(1, echo.err().stream().filter(l -> l.contains(" ERROR ")).count(), echo::transcript);
        }
    }

    @Test
    void curlReachesHttpdOnAPacketInterface() throws Exception {
        assumeTrue(available("curl"), "curl is not installed; skipped");
        try (JavaProcess httpd = app(NS_B, "httpd", "--port", "8080", "--packet-interface", "vqb",
                "--host-ipv4-addr", "192.168.85.2", "--gw-ipv4-addr", "192.168.85.1")) {
            assertTrue(httpd.awaitLine("listening on http://", Duration.ofSeconds(40)), httpd::transcript);
            assertTrue(httpd.awaitLine("native stack on", Duration.ofSeconds(1)), httpd::transcript);
            Result hello = nsRun(NS_A, "curl", "-sS", "--max-time", "10", "http://192.168.85.2:8080/",
                    "http://192.168.85.2:8080/plaintext");
            assertEquals(0, hello.exit, () -> hello.err + httpd.transcript());
            assertEquals("Hello, World!Hello, World!", hello.out);
            httpd.signal("TERM");
            assertEquals(0, httpd.exitCode(Duration.ofSeconds(30)), httpd::transcript);
        }
    }

    @Test
    void anUnknownPacketInterfaceEndsTheProgramBeforeItRuns() throws Exception {
        try (JavaProcess echo = app(NS_B, "echo", "--packet-interface", "nosuch0")) {
            assertEquals(1, echo.exitCode(Duration.ofSeconds(40)), echo::transcript);
            assertTrue(echo.awaitLine("could not open interface nosuch0 (AF_PACKET) for the native stack",
                    Duration.ofSeconds(1)), echo::transcript);
            assertEquals(1, echo.err().size(), () -> "one line:\n" + echo.transcript());
            assertFalse(echo.awaitLine("echo: TCP and UDP on", Duration.ofMillis(1)), echo::transcript);
        }
    }

    /** Starts {@code percore APP} in namespace {@code ns} on the native stack, 2 shards. */
    private static JavaProcess app(String ns, String name, String... extra) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED", "-ea",
                "-cp", classPath(), "io.percore.apps.Main", name, "--smp", "2", "--memory", "512M",
                "--network-stack", "native"));
        cmd.addAll(List.of(extra));
        // ip netns exec execs the command: the child's pid is the JVM's, so signals reach it.
        JavaProcess p = JavaProcess.start(cmd, Map.of(), null);
        children.add(p);
        return p;
    }

    private static String dnsmasqLog(String iface) {
        try {
            return Files.readString(dir.resolve(iface + ".log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    private static boolean available(String program) {
        for (String d : (System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/sbin:/sbin").split(":")) {
            if (Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }

    private record Result(int exit, String out, String err) {}

    private static void must(String... command) throws Exception {
        Result r = run(List.of(command));
        if (r.exit != 0) {
            throw new IOException(String.join(" ", command) + " failed (" + r.exit + "): " + r.err);
        }
    }

    private static Result nsRun(String ns, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(command));
        return run(cmd);
    }

    private static Result run(List<String> command) throws Exception {
        Path out = Files.createTempFile("percore-ns", ".out");
        Path err = Files.createTempFile("percore-ns", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                return new Result(-1, Files.readString(out, StandardCharsets.ISO_8859_1),
                        "timed out: " + Files.readString(err, StandardCharsets.ISO_8859_1));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.ISO_8859_1),
                    Files.readString(err, StandardCharsets.ISO_8859_1));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
