package io.percore.app;

import io.percore.net.Network;
import io.percore.net.SocketAddress;
import io.percore.net.stack.NativeStackConfig;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Iterator;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The network options every percore program takes, as Seastar names them: {@code --network-stack posix|native}
 * and, for the native stack, {@code --tap-device}, {@code --host-ipv4-addr}, {@code --gw-ipv4-addr},
 * {@code --netmask-ipv4-addr}, {@code --host-ipv6-addr}, {@code --mtu}, {@code --dhcp} (with
 * {@code --dhcp-timeout-s}) and {@code --packet-interface}.
 *
 * <p>With the POSIX stack (the default) the kernel's TCP/IP serves the program and the native options do not apply:
 * giving one is an error, so that a forgotten {@code --network-stack native} does not pass unnoticed. With the native
 * stack, {@link #nativeConfig()} turns the options into the {@link NativeStackConfig} the template starts the stack
 * with; the defaults are Seastar's (TAP {@code tap0}, 192.168.122.2/24 via 192.168.122.1, MTU 1500).
 *
 * <p>{@code --dhcp} takes the IPv4 address, netmask, gateway and DNS servers from a DHCPv4 server: it excludes
 * {@code --host-ipv4-addr}, {@code --netmask-ipv4-addr} and {@code --gw-ipv4-addr} (two sources for one address
 * would leave the user guessing which one won), and combines with {@code --host-ipv6-addr}. {@code --packet-interface}
 * runs the stack on an existing interface through AF_PACKET instead of a TAP device, so it excludes
 * {@code --tap-device}.
 *
 * <p>Filled by {@link AppTemplate} as part of {@link AppOptions}; read by the thread that starts the program. Not
 * thread-safe.
 */
public final class NetworkOptions {
    static final String DEFAULT_TAP = "tap0";
    static final String DEFAULT_HOST_IPV4 = "192.168.122.2";
    static final String DEFAULT_GW_IPV4 = "192.168.122.1";
    static final String DEFAULT_NETMASK_IPV4 = "255.255.255.0";
    static final int DEFAULT_MTU = 1500;
    static final int DEFAULT_IPV6_PREFIX = 64;
    static final int DEFAULT_DHCP_TIMEOUT_S = 60;

    @Option(names = "--network-stack", paramLabel = "NAME", converter = StackConverter.class,
            completionCandidates = StackNames.class,
            description = "Network stack: posix (the kernel's TCP/IP) or native (percore's own TCP/IP in user "
                    + "space, on a TAP device or, with --packet-interface, an existing interface). Default: posix.")
    private String stack = "posix";

    @Option(names = "--tap-device", paramLabel = "NAME",
            description = "Native stack: the TAP interface to run on, created when absent (needs CAP_NET_ADMIN). "
                    + "Default: " + DEFAULT_TAP + ".")
    private String tapDevice;

    @Option(names = "--host-ipv4-addr", paramLabel = "IP",
            description = "Native stack: our IPv4 address. Default: " + DEFAULT_HOST_IPV4 + ".")
    private String hostIpv4;

    @Option(names = "--gw-ipv4-addr", paramLabel = "IP",
            description = "Native stack: the IPv4 default gateway, on the host's subnet. Default: " + DEFAULT_GW_IPV4 + ".")
    private String gatewayIpv4;

    @Option(names = "--netmask-ipv4-addr", paramLabel = "MASK",
            description = "Native stack: the IPv4 netmask of the host's subnet. Default: " + DEFAULT_NETMASK_IPV4 + ".")
    private String netmaskIpv4;

    @Option(names = "--host-ipv6-addr", paramLabel = "IP[/LEN]",
            description = "Native stack: our global IPv6 address and on-link prefix length (default /"
                    + DEFAULT_IPV6_PREFIX + "). Default: none (a link-local address is always there).")
    private String hostIpv6;

    @Option(names = "--mtu", paramLabel = "N",
            description = "Native stack: the IP MTU of the device, 1280..65535. Default: " + DEFAULT_MTU
                    + " (on a --packet-interface: the interface's).")
    private Integer mtu;

    @Option(names = "--dhcp",
            description = "Native stack: take the IPv4 address, netmask, gateway and DNS servers from a DHCPv4 "
                    + "server instead of the --*-ipv4-addr options; the program starts once the lease is granted.")
    private boolean dhcp;

    @Option(names = "--dhcp-timeout-s", paramLabel = "SECONDS",
            description = "Native stack with --dhcp: how long to wait for a lease before giving up (exit 1), "
                    + "1..3600. Default: " + DEFAULT_DHCP_TIMEOUT_S + ".")
    private Integer dhcpTimeoutSeconds;

    @Option(names = "--packet-interface", paramLabel = "NAME",
            description = "Native stack: run on this existing interface through AF_PACKET (needs CAP_NET_RAW) "
                    + "instead of a TAP device; give it no kernel address. Default: none (TAP).")
    private String packetInterface;

    /** Creates the options with every default in place, as if the command line were empty. */
    public NetworkOptions() {}

    /** @return the stack's name: {@code posix} or {@code native}. */
    public String stack() {
        return stack;
    }

    /** @return true under {@code --network-stack native}. */
    public boolean isNative() {
        return "native".equals(stack);
    }

    /** @return true with {@code --dhcp}. */
    public boolean dhcp() {
        return dhcp;
    }

    /** @return how long to wait for the first DHCP lease ({@code --dhcp-timeout-s}). */
    public Duration dhcpTimeout() {
        return Duration.ofSeconds(dhcpTimeoutSeconds != null ? dhcpTimeoutSeconds : DEFAULT_DHCP_TIMEOUT_S);
    }

    /**
     * Checks the combination: with the POSIX stack, no native option may be given; with the native stack,
     * {@link #nativeConfig()} must succeed.
     *
     * @throws IllegalArgumentException with one line naming the option and what is wrong with it
     */
    public void check() {
        if (isNative()) {
            nativeConfig();
            return;
        }
        String given = tapDevice != null ? "--tap-device" : hostIpv4 != null ? "--host-ipv4-addr"
                : gatewayIpv4 != null ? "--gw-ipv4-addr" : netmaskIpv4 != null ? "--netmask-ipv4-addr"
                : hostIpv6 != null ? "--host-ipv6-addr" : mtu != null ? "--mtu" : dhcp ? "--dhcp"
                : dhcpTimeoutSeconds != null ? "--dhcp-timeout-s" : packetInterface != null ? "--packet-interface" : null;
        if (given != null) {
            throw new IllegalArgumentException(given + " applies to the native stack only; add --network-stack native");
        }
    }

    /**
     * @return the native stack's configuration from these options (defaults filled in)
     * @throws IllegalArgumentException with one line naming the option and what is wrong with it
     * @throws IllegalStateException under the POSIX stack
     */
    public NativeStackConfig nativeConfig() {
        if (!isNative()) {
            throw new IllegalStateException("the POSIX stack has no native configuration");
        }
        String tap = tapDevice != null ? tapDevice : DEFAULT_TAP;
        if (packetInterface != null && tapDevice != null) {
            throw new IllegalArgumentException("--packet-interface and --tap-device exclude each other: the stack runs "
                    + "on one device");
        }
        interfaceName(packetInterface != null ? "--packet-interface" : "--tap-device",
                packetInterface != null ? packetInterface : tap);
        if (dhcpTimeoutSeconds != null && !dhcp) {
            throw new IllegalArgumentException("--dhcp-timeout-s applies with --dhcp only");
        }
        if (dhcpTimeoutSeconds != null && (dhcpTimeoutSeconds < 1 || dhcpTimeoutSeconds > 3600)) {
            throw new IllegalArgumentException("--dhcp-timeout-s must be between 1 and 3600, not " + dhcpTimeoutSeconds);
        }
        NativeStackConfig config;
        if (dhcp) {
            String fixed = hostIpv4 != null ? "--host-ipv4-addr" : netmaskIpv4 != null ? "--netmask-ipv4-addr"
                    : gatewayIpv4 != null ? "--gw-ipv4-addr" : null;
            if (fixed != null) {
                throw new IllegalArgumentException("--dhcp and " + fixed + " exclude each other: the DHCP server "
                        + "gives the IPv4 address, netmask and gateway");
            }
            config = NativeStackConfig.dhcpOnly();
        } else {
            InetAddress host = ipv4("--host-ipv4-addr", hostIpv4 != null ? hostIpv4 : DEFAULT_HOST_IPV4);
            InetAddress mask = ipv4("--netmask-ipv4-addr", netmaskIpv4 != null ? netmaskIpv4 : DEFAULT_NETMASK_IPV4);
            InetAddress gw = ipv4("--gw-ipv4-addr", gatewayIpv4 != null ? gatewayIpv4 : DEFAULT_GW_IPV4);
            int m = toInt(mask);
            if ((~m & (~m + 1)) != 0) {
                throw new IllegalArgumentException("--netmask-ipv4-addr " + mask.getHostAddress()
                        + " is not a netmask (its one bits must be contiguous from the left)");
            }
            if ((toInt(host) & m) != (toInt(gw) & m)) {
                throw new IllegalArgumentException("--gw-ipv4-addr " + gw.getHostAddress() + " is not on the subnet of "
                        + host.getHostAddress() + "/" + Integer.bitCount(m));
            }
            config = NativeStackConfig.ipv4(host.getHostAddress(), mask.getHostAddress(), gw.getHostAddress());
        }
        // On an existing interface the stack takes the interface's MTU (0) unless told otherwise.
        int mtuValue = mtu != null ? mtu : packetInterface != null ? 0 : DEFAULT_MTU;
        if (mtu != null && mtuValue < 1280 || mtuValue > 65535) {
            throw new IllegalArgumentException("--mtu must be between 1280 and 65535, not " + mtuValue);
        }
        config = config.withTapDevice(tap).withMtu(mtuValue).withPacketInterface(packetInterface);
        if (hostIpv6 != null) {
            String addr = hostIpv6;
            int prefix = DEFAULT_IPV6_PREFIX;
            int slash = hostIpv6.indexOf('/');
            if (slash >= 0) {
                addr = hostIpv6.substring(0, slash);
                try {
                    prefix = Integer.parseInt(hostIpv6.substring(slash + 1));
                } catch (NumberFormatException e) {
                    prefix = -1;
                }
                if (prefix < 1 || prefix > 128) {
                    throw new IllegalArgumentException("--host-ipv6-addr " + hostIpv6
                            + ": the prefix length must be 1..128");
                }
            }
            InetAddress a6 = literal("--host-ipv6-addr", addr);
            if (!(a6 instanceof Inet6Address) || a6.isLinkLocalAddress() || a6.isMulticastAddress()
                    || a6.isAnyLocalAddress()) {
                throw new IllegalArgumentException("--host-ipv6-addr " + hostIpv6
                        + " is not a global or unique-local IPv6 address");
            }
            config = config.withIpv6(a6.getHostAddress(), prefix);
        }
        return config;
    }

    private static void interfaceName(String option, String name) {
        // IFNAMSIZ is 16 with the terminating NUL; '/' and blanks are refused by the kernel.
        if (name.isEmpty() || name.length() > 15 || !name.matches("[A-Za-z0-9_.:-]+")) {
            throw new IllegalArgumentException(option + " '" + name + "' is not an interface name "
                    + "(1 to 15 letters, digits, '_', '.', ':' or '-')");
        }
    }

    private static InetAddress ipv4(String option, String value) {
        InetAddress a = literal(option, value);
        if (!(a instanceof Inet4Address)) {
            throw new IllegalArgumentException(option + " " + value + " is not an IPv4 address");
        }
        return a;
    }

    private static InetAddress literal(String option, String value) {
        try {
            return SocketAddress.parseLiteral(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " '" + value + "' is not an IP address literal");
        }
    }

    private static int toInt(InetAddress a) {
        byte[] b = a.getAddress();
        return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
    }

    /** Checks {@code --network-stack} against {@link Network#AVAILABLE}. */
    static final class StackConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            if (!Network.AVAILABLE.contains(value)) {
                throw new TypeConversionException("unknown network stack '" + value + "' (choose "
                        + String.join(" or ", Network.AVAILABLE) + ")");
            }
            return value;
        }
    }

    /** The stack names, for the help text. */
    static final class StackNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Network.AVAILABLE.iterator();
        }
    }
}
