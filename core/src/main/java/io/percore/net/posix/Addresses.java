package io.percore.net.posix;

import io.percore.net.SocketAddress;
import io.percore.sys.SockAddr;
import java.net.Inet6Address;

/** Conversions between the API's {@link SocketAddress} and the kernel's {@link SockAddr}. */
final class Addresses {
    private Addresses() {}

    /** @return true when {@code a} is an IPv6 wildcard ("::"), the address that can listen dual-stack. */
    static boolean isIpv6Wildcard(SocketAddress a) {
        return a.ip() instanceof Inet6Address v6 && v6.isAnyLocalAddress();
    }

    /** Encodes {@code a} for a socket of the given family; an IPv4 address goes v4-mapped into an IPv6 socket. */
    static void encode(SockAddr into, SocketAddress a, boolean ipv6Socket) {
        into.set(a.ip(), a.port(), ipv6Socket);
    }

    /** @return the address the kernel wrote into {@code from}. */
    static SocketAddress decode(SockAddr from) {
        return new SocketAddress(from.address(), from.port());
    }
}
