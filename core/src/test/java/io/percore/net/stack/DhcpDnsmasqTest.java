package io.percore.net.stack;

import static io.percore.net.stack.StackTesting.requireTool;
import static io.percore.net.stack.StackTesting.run;
import static io.percore.net.stack.StackTesting.sh;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import io.percore.net.ListenOptions;
import io.percore.net.SocketAddress;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The DHCP client against dnsmasq. Namespace A holds dnsmasq on {@code vda} (192.168.79.1, DHCP only: no DNS port,
 * no configuration file, lease and pid files in a temporary directory, T1 of 3 s so a renewal happens in the test);
 * namespace B holds {@code vdb}, on which percore's stack runs through AF_PACKET with no address until DHCP gives it
 * one. The test then pings and talks TCP to the leased address from A. dnsmasq and both namespaces are removed
 * afterwards.
 *
 * <p>Needs root, iproute2 and dnsmasq (Debian dnsmasq-base); skipped with a message otherwise.
 */
class DhcpDnsmasqTest {
    private static final String NS_A = "pcdhcpa" + ProcessHandle.current().pid();
    private static final String NS_B = "pcdhcpb" + ProcessHandle.current().pid();
    private static boolean createdA, createdB;
    private static Path dir;
    private static Process dnsmasq;

    @BeforeAll
    static void setUp() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        assumeTrue(root, "the dnsmasq test needs root; skipped");
        requireTool("ip", "iproute2");
        requireTool("dnsmasq", "dnsmasq-base");
        createdA = sh("ip", "netns", "add", NS_A) == 0;
        createdB = createdA && sh("ip", "netns", "add", NS_B) == 0;
        assumeTrue(createdA && createdB, "cannot create network namespaces; skipped");
        run("ip", "-n", NS_A, "link", "add", "vda", "type", "veth", "peer", "name", "vdb", "netns", NS_B);
        run("ip", "netns", "exec", NS_B, "sysctl", "-q", "-w", "net.ipv6.conf.vdb.disable_ipv6=1");
        run("ip", "-n", NS_A, "addr", "add", "192.168.79.1/24", "dev", "vda");
        run("ip", "-n", NS_A, "link", "set", "vda", "up");
        run("ip", "-n", NS_B, "link", "set", "vdb", "up");
        dir = Files.createTempDirectory("percore-dnsmasq");
        dnsmasq = new ProcessBuilder("ip", "netns", "exec", NS_A, "dnsmasq", "--no-daemon", "--conf-file=/dev/null",
                "--port=0", "--interface=vda", "--bind-interfaces", "--user=root", "--group=root", "--no-ping",
                "--dhcp-authoritative", "--log-dhcp", "--log-facility=-",
                "--dhcp-range=192.168.79.50,192.168.79.60,255.255.255.0,2m",
                "--dhcp-option=option:router,192.168.79.1", "--dhcp-option=option:dns-server,192.168.79.53",
                "--dhcp-option=option:T1,3", "--dhcp-option=option:T2,100",
                "--dhcp-leasefile=" + dir.resolve("leases"), "--pid-file=" + dir.resolve("dnsmasq.pid"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("dnsmasq.log").toFile()).start();
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (dnsmasq != null) {
            dnsmasq.destroy();
            if (!dnsmasq.waitFor(10, TimeUnit.SECONDS)) {
                dnsmasq.destroyForcibly();
            }
        }
        if (createdA) {
            sh("ip", "netns", "del", NS_A);
        }
        if (createdB) {
            sh("ip", "netns", "del", NS_B);
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

    private static String log() {
        try {
            return Files.readString(dir.resolve("dnsmasq.log"));
        } catch (Exception e) {
            return e.toString();
        }
    }

    @Test
    void leaseFromDnsmasqConfiguresTheStackAndIsRenewed() throws Exception {
        assertTrue(dnsmasq.isAlive(), () -> "dnsmasq runs: " + log());
        Smp smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> { });
        NativeNetwork net = null;
        try {
            net = NativeNetwork.open(NativeStackConfig.dhcpOnly().withPacketInterface("vdb"), 2, "/var/run/netns/" + NS_B);
            NativeNetwork n = net;
            smp.invokeOnAllExternal(id -> {
                NativeStack s = n.startShard();
                StackTesting.serveEcho(s.listen(SocketAddress.anyIpv4(7), ListenOptions.defaults()));
                return Future.done();
            }).get(20, TimeUnit.SECONDS);
            DhcpClient.Options options = new DhcpClient.Options(Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofSeconds(20));
            NativeStackConfig cfg = smp.submitExternal(0, () -> n.configureByDhcp(options)).get(30, TimeUnit.SECONDS);
            String address = cfg.hostIpv4().getHostAddress();
            int last = Integer.parseInt(address.substring(address.lastIndexOf('.') + 1));
            assertTrue(address.startsWith("192.168.79.") && last >= 50 && last <= 60, address);
            assertEquals("255.255.255.0", cfg.netmaskIpv4().getHostAddress());
            assertEquals("192.168.79.1", cfg.gatewayIpv4().getHostAddress());
            assertEquals(List.of("192.168.79.53"), cfg.dnsServers().stream().map(a -> a.getHostAddress()).toList());
            DhcpClient.Lease lease = smp.submitExternal(0, () -> Future.ready(n.stacks[0].dhcp.lease())).get();
            assertEquals(Duration.ofSeconds(120), lease.leaseTime());
            assertEquals(Duration.ofSeconds(3), lease.renewalTime(), "dnsmasq's T1 option");

            String mac = HexFormat.ofDelimiter(":").formatHex(n.macAddress());
            assertTrue(Files.readString(dir.resolve("leases")).contains(mac + " " + address),
                    () -> "the lease file names our MAC and address: " + log());
            if (sh("sh", "-c", "command -v ping") == 0) {
                assertEquals(0, sh("ip", "netns", "exec", NS_A, "ping", "-c", "2", "-i", "0.2", "-W", "3", address));
            }
            if (sh("sh", "-c", "command -v nc") == 0) {
                Process p = new ProcessBuilder("ip", "netns", "exec", NS_A, "sh", "-c",
                        "printf 'leased' | nc -N -w 5 " + address + " 7").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(20, TimeUnit.SECONDS));
                assertEquals("leased", out);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            long renewals = 0;
            while (renewals == 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                renewals = smp.submitExternal(0, () -> Future.ready(n.stacks[0].dhcp.renewals())).get();
            }
            assertTrue(renewals >= 1, () -> "the lease was renewed at T1; dnsmasq log:\n" + log());
            assertEquals(address, n.config().hostIpv4().getHostAddress(), "same address after the renewal");
        } finally {
            try {
                if (net != null) {
                    NativeNetwork n = net;
                    smp.invokeOnAllExternal(id -> {
                        if (n.stacks[id] != null) {
                            n.stacks[id].stop();
                        }
                        return Future.done();
                    }).get(20, TimeUnit.SECONDS);
                }
            } finally {
                smp.stop();
                if (net != null) {
                    net.close();
                }
            }
        }
    }
}
