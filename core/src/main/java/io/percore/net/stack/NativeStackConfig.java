package io.percore.net.stack;

import io.percore.net.SocketAddress;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;

/**
 * Static configuration of the native stack, as the application layer fills it from {@code --network-stack native},
 * {@code --tap-device}, {@code --host-ipv4-addr}, {@code --gw-ipv4-addr}, {@code --netmask-ipv4-addr},
 * {@code --host-ipv6-addr} (with {@code /prefix}), {@code --mtu}, and {@code --dhcp}; an existing interface instead
 * of a TAP device through {@link #withPacketInterface}. Open the device it names with {@link NativeNetwork#open}.
 * Immutable; any thread.
 *
 * @param tapDevice         TAP interface name for {@link NativeNetwork#openTap}
 * @param hostIpv4          our IPv4 address, or null for none
 * @param netmaskIpv4       the on-link IPv4 netmask
 * @param gatewayIpv4       the IPv4 default gateway, or null
 * @param hostIpv6          our global IPv6 address, or null (a link-local address is always derived from the MAC)
 * @param ipv6PrefixLength  the on-link prefix length of {@code hostIpv6}
 * @param gatewayIpv6       a static IPv6 default router, or null to learn it from router advertisements
 * @param mtu               the IP MTU; 0 takes the device's
 * @param mac               our Ethernet address (6 bytes), or null for a random locally administered one
 * @param congestionControl "cubic" (default) or "newreno"
 * @param timeWait          how long a connection closed by us stays in TIME_WAIT (2 MSL)
 * @param receiveWindow     the largest receive window per connection; shrunk when the shard's memory runs low
 * @param sendBuffer        bytes a connection queues before writes wait
 * @param neighbourTimeout  how long an ARP / neighbour cache entry stays valid
 * @param packetInterface   an existing interface to run on through AF_PACKET ({@link PacketDevice}), or null to use
 *                          the TAP device {@code tapDevice}
 * @param dhcp              take the IPv4 address, netmask, gateway and DNS servers from a DHCPv4 server
 *                          ({@link NativeNetwork#configureByDhcp}); {@code hostIpv4} may then be null
 * @param dnsServers        DNS servers (from DHCP or static), never null
 */
public record NativeStackConfig(String tapDevice, InetAddress hostIpv4, InetAddress netmaskIpv4, InetAddress gatewayIpv4,
                                InetAddress hostIpv6, int ipv6PrefixLength, InetAddress gatewayIpv6, int mtu, byte[] mac,
                                String congestionControl, Duration timeWait, int receiveWindow, int sendBuffer,
                                Duration neighbourTimeout, String packetInterface, boolean dhcp,
                                List<InetAddress> dnsServers) {
    public NativeStackConfig {
        dnsServers = dnsServers == null ? List.of() : List.copyOf(dnsServers);
        if (hostIpv4 != null && !(hostIpv4 instanceof Inet4Address)) {
            throw new IllegalArgumentException("host IPv4 address is not IPv4: " + hostIpv4);
        }
        if (hostIpv6 != null && !(hostIpv6 instanceof Inet6Address)) {
            throw new IllegalArgumentException("host IPv6 address is not IPv6: " + hostIpv6);
        }
        if (ipv6PrefixLength < 0 || ipv6PrefixLength > 128) {
            throw new IllegalArgumentException("IPv6 prefix length out of range: " + ipv6PrefixLength);
        }
        if (mtu != 0 && (mtu < 1280 || mtu > 65535)) {
            throw new IllegalArgumentException("MTU must be between 1280 and 65535 (or 0 for the device's): " + mtu);
        }
        if (mac != null && mac.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes");
        }
        if (!"cubic".equals(congestionControl) && !"newreno".equals(congestionControl)) {
            throw new IllegalArgumentException("congestion control must be cubic or newreno: " + congestionControl);
        }
        if (receiveWindow < 8192 || receiveWindow > (1 << 30) || sendBuffer < 8192) {
            throw new IllegalArgumentException("receive window and send buffer must be at least 8 KiB (window at most 1 GiB)");
        }
    }

    /**
     * @return a configuration with IPv4 address {@code host}/{@code netmask}, gateway {@code gateway} (null for none),
     * no global IPv6 address, the device's MTU, CUBIC, TIME_WAIT 60 s, 4 MiB window, 1 MiB send buffer
     */
    public static NativeStackConfig ipv4(String host, String netmask, String gateway) {
        return new NativeStackConfig("percore0", SocketAddress.parseLiteral(host), SocketAddress.parseLiteral(netmask),
                gateway == null ? null : SocketAddress.parseLiteral(gateway), null, 64, null, 0, null, "cubic",
                Duration.ofSeconds(60), 4 << 20, 1 << 20, Duration.ofSeconds(60), null, false, List.of());
    }

    /** @return this configuration with IPv6 address {@code address}/{@code prefixLength}. */
    public NativeStackConfig withIpv6(String address, int prefixLength) {
        return new NativeStackConfig(tapDevice, hostIpv4, netmaskIpv4, gatewayIpv4, SocketAddress.parseLiteral(address),
                prefixLength, gatewayIpv6, mtu, mac, congestionControl, timeWait, receiveWindow, sendBuffer, neighbourTimeout, packetInterface, dhcp, dnsServers);
    }

    /** @return this configuration with another TAP device name. */
    public NativeStackConfig withTapDevice(String name) {
        return new NativeStackConfig(name, hostIpv4, netmaskIpv4, gatewayIpv4, hostIpv6, ipv6PrefixLength, gatewayIpv6,
                mtu, mac, congestionControl, timeWait, receiveWindow, sendBuffer, neighbourTimeout, packetInterface, dhcp, dnsServers);
    }

    /** @return this configuration with another MTU (0: the device's). */
    public NativeStackConfig withMtu(int newMtu) {
        return new NativeStackConfig(tapDevice, hostIpv4, netmaskIpv4, gatewayIpv4, hostIpv6, ipv6PrefixLength, gatewayIpv6,
                newMtu, mac, congestionControl, timeWait, receiveWindow, sendBuffer, neighbourTimeout, packetInterface, dhcp, dnsServers);
    }

    /** @return this configuration with another congestion control ("cubic" or "newreno"). */
    public NativeStackConfig withCongestionControl(String name) {
        return new NativeStackConfig(tapDevice, hostIpv4, netmaskIpv4, gatewayIpv4, hostIpv6, ipv6PrefixLength, gatewayIpv6,
                mtu, mac, name, timeWait, receiveWindow, sendBuffer, neighbourTimeout, packetInterface, dhcp, dnsServers);
    }

    /** @return this configuration with another TIME_WAIT duration. */
    public NativeStackConfig withTimeWait(Duration d) {
        return new NativeStackConfig(tapDevice, hostIpv4, netmaskIpv4, gatewayIpv4, hostIpv6, ipv6PrefixLength, gatewayIpv6,
                mtu, mac, congestionControl, d, receiveWindow, sendBuffer, neighbourTimeout, packetInterface, dhcp, dnsServers);
    }

    /** @return this configuration with a fixed Ethernet address (6 bytes; null: random). */
    public NativeStackConfig withMac(byte[] newMac) {
        return new NativeStackConfig(tapDevice, hostIpv4, netmaskIpv4, gatewayIpv4, hostIpv6, ipv6PrefixLength, gatewayIpv6,
                mtu, newMac == null ? null : newMac.clone(), congestionControl, timeWait, receiveWindow, sendBuffer, neighbourTimeout, packetInterface, dhcp, dnsServers);
    }

    /** @return this configuration with another receive window and send buffer. */
    public NativeStackConfig withBuffers(int window, int send) {
        return new NativeStackConfig(tapDevice, hostIpv4, netmaskIpv4, gatewayIpv4, hostIpv6, ipv6PrefixLength, gatewayIpv6,
                mtu, mac, congestionControl, timeWait, window, send, neighbourTimeout, packetInterface, dhcp, dnsServers);
    }

    /**
     * @return a configuration without any address yet, for {@link #withDhcp(boolean) DHCP}: no IPv4 or IPv6
     * address, the device's MTU, CUBIC, TIME_WAIT 60 s, 4 MiB window, 1 MiB send buffer, DHCP on
     */
    public static NativeStackConfig dhcpOnly() {
        return new NativeStackConfig("percore0", null, null, null, null, 64, null, 0, null, "cubic",
                Duration.ofSeconds(60), 4 << 20, 1 << 20, Duration.ofSeconds(60), null, true, List.of());
    }

    /**
     * @return this configuration running on existing interface {@code name} through AF_PACKET instead of a TAP
     * device (null: back to the TAP device)
     */
    public NativeStackConfig withPacketInterface(String name) {
        return new NativeStackConfig(tapDevice, hostIpv4, netmaskIpv4, gatewayIpv4, hostIpv6, ipv6PrefixLength, gatewayIpv6,
                mtu, mac, congestionControl, timeWait, receiveWindow, sendBuffer, neighbourTimeout, name, dhcp, dnsServers);
    }

    /** @return this configuration with DHCPv4 on or off. */
    public NativeStackConfig withDhcp(boolean on) {
        return new NativeStackConfig(tapDevice, hostIpv4, netmaskIpv4, gatewayIpv4, hostIpv6, ipv6PrefixLength, gatewayIpv6,
                mtu, mac, congestionControl, timeWait, receiveWindow, sendBuffer, neighbourTimeout, packetInterface, on, dnsServers);
    }

    /**
     * @return this configuration with IPv4 address, netmask, gateway (null: none) and DNS servers replaced, as a DHCP
     * lease gives them
     */
    public NativeStackConfig withIpv4(InetAddress host, InetAddress netmask, InetAddress gateway, List<InetAddress> dns) {
        return new NativeStackConfig(tapDevice, host, netmask, gateway, hostIpv6, ipv6PrefixLength, gatewayIpv6,
                mtu, mac, congestionControl, timeWait, receiveWindow, sendBuffer, neighbourTimeout, packetInterface, dhcp, dns);
    }

    /** @return true when the stack runs on an existing interface through AF_PACKET rather than on a TAP device. */
    public boolean usesPacketDevice() {
        return packetInterface != null;
    }
}
