package io.percore.net;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 address and a port. Built only from literals or raw bytes: it never resolves a name (that
 * would block the shard; use the {@code dns} resolver). Immutable; any thread.
 *
 * @param ip   the address (an {@link Inet4Address} or {@link Inet6Address}, possibly with a scope id)
 * @param port 0 to 65535
 */
public record SocketAddress(InetAddress ip, int port) {
    public SocketAddress {
        if (ip == null) {
            throw new IllegalArgumentException("address is null");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /**
     * @param literal an IPv4 ("127.0.0.1") or IPv6 ("::1", "[::1]", "fe80::1%2") literal, never a host name
     * @throws IllegalArgumentException when it is not a literal
     */
    public static SocketAddress of(String literal, int port) {
        return new SocketAddress(parseLiteral(literal), port);
    }

    /** @return the IPv4 wildcard 0.0.0.0 with {@code port}. */
    public static SocketAddress anyIpv4(int port) {
        return of("0.0.0.0", port);
    }

    /** @return the IPv6 wildcard :: with {@code port} (dual-stack when listening). */
    public static SocketAddress anyIpv6(int port) {
        return of("::", port);
    }

    /** @return true for an IPv6 address. */
    public boolean isIpv6() {
        return ip instanceof Inet6Address;
    }

    /** @return the address with another port. */
    public SocketAddress withPort(int newPort) {
        return new SocketAddress(ip, newPort);
    }

    /** Parses an address literal without any lookup. */
    public static InetAddress parseLiteral(String literal) {
        String s = literal.trim();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        if (!looksLikeLiteral(s)) {
            throw new IllegalArgumentException("not an IP address literal: '" + literal + "'");
        }
        try {
            // With a literal, InetAddress does no lookup.
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address literal: '" + literal + "'");
        }
    }

    private static boolean looksLikeLiteral(String s) {
        if (s.isEmpty()) {
            return false;
        }
        if (s.indexOf(':') >= 0) {
            int pct = s.indexOf('%');
            String addr = pct >= 0 ? s.substring(0, pct) : s;
            for (char c : addr.toCharArray()) {
                if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                    return false;
                }
            }
            return true;
        }
        int dots = 0;
        for (char c : s.toCharArray()) {
            if (c == '.') {
                dots++;
            } else if (c < '0' || c > '9') {
                return false;
            }
        }
        return dots == 3;
    }

    @Override
    public String toString() {
        String host = ip.getHostAddress();
        return isIpv6() ? "[" + host + "]:" + port : host + ":" + port;
    }
}
