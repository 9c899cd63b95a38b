package io.percore.sctp;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * A type-length-value parameter of an INIT, INIT-ACK or HEARTBEAT chunk (RFC 9260 section 3.2.1), kept as its raw
 * value. The two high bits of an unknown type say what a receiver does with it ({@link #action}). Immutable; any
 * thread (the value array is not copied: do not change it).
 *
 * @param type  the 16-bit parameter type
 * @param value the bytes after the 4-byte header, without padding
 */
public record Param(int type, byte[] value) {
    /** Heartbeat Info, carried in HEARTBEAT and echoed in HEARTBEAT-ACK. */
    public static final int HEARTBEAT_INFO = 1;
    /** An IPv4 address of the sender. */
    public static final int IPV4_ADDRESS = 5;
    /** An IPv6 address of the sender. */
    public static final int IPV6_ADDRESS = 6;
    /** The state cookie, in INIT-ACK. */
    public static final int STATE_COOKIE = 7;
    /** Unrecognized Parameter, in INIT-ACK: wraps a parameter of the INIT we did not understand. */
    public static final int UNRECOGNIZED_PARAMETER = 8;
    /** Cookie Preservative: the peer asks for a longer cookie lifetime. */
    public static final int COOKIE_PRESERVATIVE = 9;
    /** Host Name Address (deprecated; a receiver answers with ABORT, cause Unresolvable Address). */
    public static final int HOST_NAME_ADDRESS = 11;
    /** Supported Address Types. */
    public static final int SUPPORTED_ADDRESS_TYPES = 12;
    /** ECN Capable (RFC 9260 appendix A); sent by usrsctp. */
    public static final int ECN_CAPABLE = 0x8000;
    /** AUTH Random (RFC 4895). */
    public static final int RANDOM = 0x8002;
    /** AUTH Chunk List (RFC 4895). */
    public static final int CHUNK_LIST = 0x8003;
    /** AUTH Requested HMAC Algorithm (RFC 4895). */
    public static final int HMAC_ALGORITHM = 0x8004;
    /** Supported Extensions (RFC 5061). */
    public static final int SUPPORTED_EXTENSIONS = 0x8008;
    /** Forward-TSN Supported (RFC 3758). */
    public static final int FORWARD_TSN_SUPPORTED = 0xC000;
    /** Adaptation Layer Indication (RFC 5061). */
    public static final int ADAPTATION_LAYER = 0xC006;

    /** What a receiver does with a parameter type it does not know (RFC 9260 section 3.2.1). */
    public enum Action {
        /** 00: stop processing this chunk's parameters, report nothing. */
        STOP,
        /** 01: stop processing this chunk's parameters and report it. */
        STOP_AND_REPORT,
        /** 10: skip it and go on. */
        SKIP,
        /** 11: skip it, go on, and report it. */
        SKIP_AND_REPORT
    }

    public Param {
        if (type < 0 || type > 0xFFFF) {
            throw new IllegalArgumentException("parameter type out of range: " + type);
        }
        if (value.length > 0xFFFF - 4) {
            throw new IllegalArgumentException("parameter too long: " + value.length);
        }
    }

    /** @return the action its type's two high bits ask of a receiver that does not know it. */
    public Action action() {
        return Action.values()[(type >>> 14) & 3];
    }

    /** @return an IPv4 or IPv6 address parameter for {@code address}. */
    public static Param address(InetAddress address) {
        return new Param(address instanceof Inet4Address ? IPV4_ADDRESS : IPV6_ADDRESS, address.getAddress());
    }

    /** @return the address this IPv4/IPv6 address parameter holds, or null when it is not a well-formed one. */
    public InetAddress toAddress() {
        if ((type == IPV4_ADDRESS && value.length == 4) || (type == IPV6_ADDRESS && value.length == 16)) {
            try {
                return InetAddress.getByAddress(value); // raw bytes: no lookup
            } catch (UnknownHostException e) {
                return null;
            }
        }
        return null;
    }

    /** @return the Supported Address Types parameter listing IPv4 and, when asked, IPv6. */
    public static Param supportedAddressTypes(boolean ipv6) {
        return supportedAddressTypes(true, ipv6);
    }

    /**
     * @return the Supported Address Types parameter listing the families asked for (at least one)
     * @throws IllegalArgumentException when neither is asked for
     */
    public static Param supportedAddressTypes(boolean ipv4, boolean ipv6) {
        if (!ipv4 && !ipv6) {
            throw new IllegalArgumentException("no address family");
        }
        byte[] v = ipv4 && ipv6 ? new byte[] {0, IPV4_ADDRESS, 0, IPV6_ADDRESS}
                : new byte[] {0, ipv4 ? (byte) IPV4_ADDRESS : (byte) IPV6_ADDRESS};
        return new Param(SUPPORTED_ADDRESS_TYPES, v);
    }

    /** @return true for an IPv6 address parameter. */
    public boolean isIpv6Address() {
        return type == IPV6_ADDRESS && value.length == 16 && toAddress() instanceof Inet6Address;
    }

    /** @return the encoded size with its header and padding. */
    public int encodedSize() {
        return (4 + value.length + 3) & ~3;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Param p && p.type == type && Arrays.equals(p.value, value);
    }

    @Override
    public int hashCode() {
        return type * 31 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return "Param[type=0x" + Integer.toHexString(type) + ", " + value.length + " bytes]";
    }
}
