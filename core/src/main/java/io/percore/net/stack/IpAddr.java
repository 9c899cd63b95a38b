package io.percore.net.stack;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 or IPv6 address as two longs (IPv4 in the low 32 bits of {@code lo}), cheap to compare and hash.
 *
 * @param hi the first 8 bytes of an IPv6 address; 0 for IPv4
 * @param lo the last 8 bytes of an IPv6 address, or the IPv4 address
 * @param v6 true for IPv6
 */
record IpAddr(long hi, long lo, boolean v6) {
    static final IpAddr ANY4 = v4(0);
    static final IpAddr ANY6 = new IpAddr(0, 0, true);

    static IpAddr v4(int addr) {
        return new IpAddr(0, addr & 0xffffffffL, false);
    }

    int v4() {
        return (int) lo;
    }

    boolean isAny() {
        return hi == 0 && lo == 0;
    }

    boolean isLinkLocal6() {
        return v6 && (hi >>> 54) == (0xfe80L >>> 6);
    }

    boolean isMulticast6() {
        return v6 && (hi >>> 56) == 0xff;
    }

    static IpAddr of(InetAddress a) {
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            return v4(((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff));
        }
        long hi = 0, lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (b[i] & 0xff);
            lo = (lo << 8) | (b[8 + i] & 0xff);
        }
        return new IpAddr(hi, lo, true);
    }

    InetAddress toInet() {
        try {
            if (!v6) {
                int a = (int) lo;
                return InetAddress.getByAddress(new byte[] {(byte) (a >>> 24), (byte) (a >>> 16), (byte) (a >>> 8), (byte) a});
            }
            byte[] b = new byte[16];
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (hi >>> (56 - 8 * i));
                b[8 + i] = (byte) (lo >>> (56 - 8 * i));
            }
            return Inet6Address.getByAddress(null, b, null);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the solicited-node multicast address ff02::1:ffXX:XXXX of this IPv6 address. */
    IpAddr solicitedNode() {
        return new IpAddr(0xff02_0000_0000_0000L, 0x0000_0001_ff00_0000L | (lo & 0xffffff), true);
    }

    /** @return the Ethernet multicast address 33:33:xx:xx:xx:xx of this IPv6 multicast address. */
    long multicastMac() {
        return 0x3333_0000_0000L | (lo & 0xffffffffL);
    }

    @Override
    public String toString() {
        return toInet().getHostAddress();
    }
}
