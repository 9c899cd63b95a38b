package io.percore.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.net.stack.NativeStackConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code --network-stack} and the native stack's options: parsing, defaults, and the errors users see. */
class NetworkOptionsTest {
    private static NetworkOptions parse(String... args) {
        AppTemplate t = AppTemplate.builder("test")
                .output(new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()))
                .build();
        assertTrue(t.parse(args));
        return t.options().network();
    }

    /** Runs a template that must refuse {@code args}; @return its stderr line. */
    private static String refused(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = AppTemplate.builder("test")
                .output(new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8))
                .handleSignals(false)
                .runForExitCode(args, ctx -> Future.ready(0));
        String line = err.toString(StandardCharsets.UTF_8);
        assertEquals(AppTemplate.EXIT_USAGE, code, line);
        assertEquals(1, line.lines().count(), line);
        return line;
    }

    @Test
    void posixIsTheDefault() {
        NetworkOptions o = parse();
        assertEquals("posix", o.stack());
        assertFalse(o.isNative());
        o.check();
        assertThrows(IllegalStateException.class, o::nativeConfig);
    }

    @Test
    void nativeDefaultsAreSeastars() {
        NetworkOptions o = parse("--network-stack", "native");
        assertTrue(o.isNative());
        NativeStackConfig c = o.nativeConfig();
        assertEquals("tap0", c.tapDevice());
        assertEquals("192.168.122.2", c.hostIpv4().getHostAddress());
        assertEquals("192.168.122.1", c.gatewayIpv4().getHostAddress());
        assertEquals("255.255.255.0", c.netmaskIpv4().getHostAddress());
        assertNull(c.hostIpv6());
        assertEquals(1500, c.mtu());
    }

    @Test
    void everyNativeOptionReachesTheConfig() {
        NativeStackConfig c = parse("--network-stack=native", "--tap-device", "pc7", "--host-ipv4-addr", "10.1.2.3",
                "--gw-ipv4-addr", "10.1.0.1", "--netmask-ipv4-addr", "255.255.0.0", "--host-ipv6-addr", "fd00:7::3/48",
                "--mtu", "9000").nativeConfig();
        assertEquals("pc7", c.tapDevice());
        assertEquals("10.1.2.3", c.hostIpv4().getHostAddress());
        assertEquals("10.1.0.1", c.gatewayIpv4().getHostAddress());
        assertEquals("255.255.0.0", c.netmaskIpv4().getHostAddress());
        assertEquals("fd00:7:0:0:0:0:0:3", c.hostIpv6().getHostAddress());
        assertEquals(48, c.ipv6PrefixLength());
        assertEquals(9000, c.mtu());
        assertEquals(64, parse("--network-stack", "native", "--host-ipv6-addr", "fd00::3").nativeConfig().ipv6PrefixLength());
    }

    @Test
    void dhcpTakesTheIpv4ConfigurationFromTheServer() {
        NetworkOptions o = parse("--network-stack", "native", "--dhcp", "--tap-device", "pc8", "--host-ipv6-addr", "fd00:8::2");
        assertTrue(o.dhcp());
        NativeStackConfig c = o.nativeConfig();
        assertTrue(c.dhcp());
        assertNull(c.hostIpv4(), "no address until the lease");
        assertNull(c.gatewayIpv4());
        assertEquals("pc8", c.tapDevice());
        assertFalse(c.usesPacketDevice());
        assertEquals("fd00:8:0:0:0:0:0:2", c.hostIpv6().getHostAddress(), "DHCPv4 leaves IPv6 to its option");
        assertEquals(Duration.ofSeconds(60), o.dhcpTimeout());
        assertEquals(Duration.ofSeconds(7), parse("--network-stack", "native", "--dhcp", "--dhcp-timeout-s", "7").dhcpTimeout());
        assertFalse(parse("--network-stack", "native").nativeConfig().dhcp());
    }

    @Test
    void packetInterfaceReplacesTheTapAndTakesItsMtu() {
        NativeStackConfig c = parse("--network-stack", "native", "--packet-interface", "veth1").nativeConfig();
        assertTrue(c.usesPacketDevice());
        assertEquals("veth1", c.packetInterface());
        assertEquals(0, c.mtu(), "the interface's MTU");
        assertEquals("192.168.122.2", c.hostIpv4().getHostAddress());
        assertEquals(9000, parse("--network-stack", "native", "--packet-interface", "veth1", "--mtu", "9000")
                .nativeConfig().mtu());
        NativeStackConfig d = parse("--network-stack", "native", "--packet-interface", "veth1", "--dhcp").nativeConfig();
        assertTrue(d.usesPacketDevice() && d.dhcp());
        assertEquals("interface veth1 (AF_PACKET)", NativeStackRunner.deviceName(d));
        assertEquals("TAP device tap0", NativeStackRunner.deviceName(parse("--network-stack", "native").nativeConfig()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--network-stack dpdk              | unknown network stack 'dpdk' (choose posix or native)",
            "--tap-device t1                   | --tap-device applies to the native stack only; add --network-stack native",
            "--mtu 9000                        | --mtu applies to the native stack only",
            "--dhcp                            | --dhcp applies to the native stack only",
            "--dhcp-timeout-s 5                | --dhcp-timeout-s applies to the native stack only",
            "--packet-interface eth1           | --packet-interface applies to the native stack only",
            "--network-stack native --dhcp --host-ipv4-addr 10.0.0.2 | --dhcp and --host-ipv4-addr exclude each other",
            "--network-stack native --dhcp --gw-ipv4-addr 10.0.0.1   | --dhcp and --gw-ipv4-addr exclude each other",
            "--network-stack native --dhcp --netmask-ipv4-addr 255.0.0.0 | --dhcp and --netmask-ipv4-addr exclude each other",
            "--network-stack native --dhcp-timeout-s 5          | --dhcp-timeout-s applies with --dhcp only",
            "--network-stack native --dhcp --dhcp-timeout-s 0   | --dhcp-timeout-s must be between 1 and 3600, not 0",
            "--network-stack native --packet-interface eth1 --tap-device t1 | --packet-interface and --tap-device exclude each other",
            "--network-stack native --packet-interface a/b      | --packet-interface 'a/b' is not an interface name",
            "--network-stack native --host-ipv4-addr 10.0.0.300 | --host-ipv4-addr '10.0.0.300' is not an IP address literal",
            "--network-stack native --host-ipv4-addr fd00::1    | --host-ipv4-addr fd00::1 is not an IPv4 address",
            "--network-stack native --netmask-ipv4-addr 255.0.255.0 | is not a netmask",
            "--network-stack native --gw-ipv4-addr 10.0.0.1     | --gw-ipv4-addr 10.0.0.1 is not on the subnet of 192.168.122.2/24",
            "--network-stack native --host-ipv6-addr fe80::1    | is not a global or unique-local IPv6 address",
            "--network-stack native --host-ipv6-addr fd00::1/129 | the prefix length must be 1..128",
            "--network-stack native --host-ipv6-addr 10.0.0.1   | is not a global or unique-local IPv6 address",
            "--network-stack native --mtu 576                   | --mtu must be between 1280 and 65535, not 576",
            "--network-stack native --mtu x                     | '--mtu'",
            "--network-stack native --tap-device a/b            | --tap-device 'a/b' is not an interface name",
            "--network-stack native --tap-device abcdefghijklmnop | is not an interface name",
    })
    void badOptionsExitWithUsageAndOneClearLine(String args, String expected) {
        String line = refused(args.trim().split("\\s+"));
        assertTrue(line.startsWith("test: "), line);
        assertTrue(line.contains(expected), () -> "'" + line.strip() + "' should contain '" + expected + "'");
    }

    @Test
    void helpListsTheNetworkOptions() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AppTemplate t = AppTemplate.builder("test")
                .output(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()))
                .build();
        assertFalse(t.parse("--help"));
        String help = out.toString(StandardCharsets.UTF_8);
        for (String option : new String[] {"--network-stack", "--tap-device", "--host-ipv4-addr", "--gw-ipv4-addr",
                "--netmask-ipv4-addr", "--host-ipv6-addr", "--mtu", "--dhcp", "--dhcp-timeout-s", "--packet-interface"}) {
            assertTrue(help.contains(option), option + " in\n" + help);
        }
    }
}
