package io.percore.net.stack;

import java.io.ByteArrayOutputStream;

/** Helpers for DHCP tests: server replies built byte by byte, and the few fields of a client request a server reads. */
final class DhcpTesting {
    private DhcpTesting() {}

    /** A BOOTREPLY of {@code type} for {@code xid} and {@code mac}, offering {@code yiaddr}, with raw {@code options}. */
    static byte[] reply(int type, int xid, long mac, int yiaddr, byte[] options) {
        ByteArrayOutputStream opts = new ByteArrayOutputStream();
        opts.write(DhcpMessage.OPT_MESSAGE_TYPE);
        opts.write(1);
        opts.write(type);
        opts.writeBytes(options);
        opts.write(DhcpMessage.OPT_END);
        byte[] b = new byte[Math.max(DhcpMessage.MIN_SIZE, DhcpMessage.OPTIONS_OFFSET + opts.size())];
        b[0] = DhcpMessage.BOOTREPLY;
        b[1] = 1;
        b[2] = 6;
        DhcpMessage.put32(b, 4, xid);
        DhcpMessage.put32(b, 16, yiaddr);
        for (int i = 0; i < 6; i++) {
            b[28 + i] = (byte) (mac >>> (40 - 8 * i));
        }
        DhcpMessage.put32(b, DhcpMessage.COOKIE_OFFSET, DhcpMessage.MAGIC_COOKIE);
        System.arraycopy(opts.toByteArray(), 0, b, DhcpMessage.OPTIONS_OFFSET, opts.size());
        return b;
    }

    /** The usual options of an OFFER or ACK: mask, router, DNS, server id, lease / T1 / T2 in seconds. */
    static byte[] leaseOptions(int mask, int router, int dns, int server, int lease, int t1, int t2) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        option(o, DhcpMessage.OPT_SUBNET_MASK, mask);
        option(o, DhcpMessage.OPT_ROUTER, router);
        option(o, DhcpMessage.OPT_DNS, dns);
        option(o, DhcpMessage.OPT_SERVER_ID, server);
        option(o, DhcpMessage.OPT_LEASE_TIME, lease);
        option(o, DhcpMessage.OPT_RENEWAL_TIME, t1);
        option(o, DhcpMessage.OPT_REBINDING_TIME, t2);
        return o.toByteArray();
    }

    private static void option(ByteArrayOutputStream o, int code, int value) {
        o.write(code);
        o.write(4);
        o.write(value >>> 24);
        o.write(value >>> 16);
        o.write(value >>> 8);
        o.write(value);
    }

    /** @return the DHCP message type of a client request, or 0 when it has none. */
    static int requestType(byte[] b) {
        for (int o = DhcpMessage.OPTIONS_OFFSET; o + 1 < b.length; ) {
            int code = b[o] & 0xff;
            if (code == DhcpMessage.OPT_END) {
                return 0;
            }
            if (code == DhcpMessage.OPT_PAD) {
                o++;
                continue;
            }
            if (code == DhcpMessage.OPT_MESSAGE_TYPE) {
                return b[o + 2] & 0xff;
            }
            o += 2 + (b[o + 1] & 0xff);
        }
        return 0;
    }

    static long mac(byte[] b) {
        long mac = 0;
        for (int i = 0; i < 6; i++) {
            mac = (mac << 8) | (b[28 + i] & 0xff);
        }
        return mac;
    }

    static int ip(String dotted) {
        String[] p = dotted.split("\\.");
        return (Integer.parseInt(p[0]) << 24) | (Integer.parseInt(p[1]) << 16) | (Integer.parseInt(p[2]) << 8) | Integer.parseInt(p[3]);
    }
}
