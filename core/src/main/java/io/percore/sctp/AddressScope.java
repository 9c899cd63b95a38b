package io.percore.sctp;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The address rules of INIT and INIT-ACK (RFC 9260 sections 5.1.2 and 6.4) for IPv4 and IPv6: which addresses a
 * peer lists may become paths, and which of our own addresses a peer can use. Stateless; any thread.
 *
 * <p>A listed address becomes a path only when it means the same host from where we stand and the transport can
 * reach its family: a loopback address listed by a peer that is not on loopback names our own host, not the
 * peer; an IPv6 link-local address is valid only on the link the packet came over, so it is kept only when the
 * packet's source is link-local too, and takes the source's scope (interface); wildcard and multicast addresses
 * are never paths.
 */
final class AddressScope {
    /** Family bits of {@link #peerFamilies} and {@link #familyBit}. */
    static final int IPV4 = 1, IPV6 = 2;

    private AddressScope() {}

    /** @return {@link #IPV4} or {@link #IPV6} for {@code ip}. */
    static int familyBit(InetAddress ip) {
        return ip instanceof Inet4Address ? IPV4 : IPV6;
    }

    /** @return true when {@code t} can send to an address of {@code ip}'s family. */
    static boolean carries(SctpTransport t, InetAddress ip) {
        return ip instanceof Inet4Address ? t.carriesIpv4() : t.carriesIpv6();
    }

    /** @return the Supported Address Types parameter for what {@code t} carries. */
    static Param supportedTypes(SctpTransport t) {
        return Param.supportedAddressTypes(t.carriesIpv4(), t.carriesIpv6());
    }

    /**
     * @param listed an address from an IPv4/IPv6 Address parameter (null when malformed)
     * @param source the source address of the packet that listed it
     * @return the address to use as a path (link-local ones with the source's scope), or null when it may not be
     * one
     */
    static InetAddress usable(InetAddress listed, InetAddress source, SctpTransport t) {
        if (listed == null || listed.isAnyLocalAddress() || listed.isMulticastAddress() || !carries(t, listed)) {
            return null;
        }
        if (listed.isLoopbackAddress() && !source.isLoopbackAddress()) {
            return null;
        }
        if (listed instanceof Inet6Address v6 && v6.isLinkLocalAddress()) {
            if (!(source instanceof Inet6Address s6 && s6.isLinkLocalAddress())) {
                return null;
            }
            try {
                return s6.getScopeId() == 0 ? v6 : Inet6Address.getByAddress(null, v6.getAddress(), s6.getScopeId());
            } catch (UnknownHostException e) {
                return null; // cannot happen: 16 bytes
            }
        }
        return listed;
    }

    /**
     * The families an INIT's sender supports: those of its Supported Address Types parameter when it has one, plus
     * the family it sent from and those of the addresses it lists (RFC 9260 5.1.2, implementation note); all of
     * them without that parameter.
     */
    static int peerFamilies(List<Param> params, InetAddress source) {
        int listedTypes = 0;
        boolean hasTypes = false;
        int seen = familyBit(source);
        for (Param p : params) {
            switch (p.type()) {
                case Param.SUPPORTED_ADDRESS_TYPES -> {
                    hasTypes = true;
                    byte[] v = p.value();
                    for (int i = 0; i + 1 < v.length; i += 2) {
                        int type = (v[i] & 0xFF) << 8 | (v[i + 1] & 0xFF);
                        listedTypes |= type == Param.IPV4_ADDRESS ? IPV4 : type == Param.IPV6_ADDRESS ? IPV6 : 0;
                    }
                }
                case Param.IPV4_ADDRESS -> seen |= IPV4;
                case Param.IPV6_ADDRESS -> seen |= IPV6;
                default -> { }
            }
        }
        return hasTypes ? listedTypes | seen : IPV4 | IPV6;
    }
}
