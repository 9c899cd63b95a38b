package io.percore.net.stack;

import java.util.ArrayList;
import java.util.List;

/**
 * A DHCPv4 message (RFC 2131 section 2, options of RFC 2132): the fixed BOOTP part and the options a client needs.
 * {@link #parse} accepts only well-formed server replies and answers null for anything else (short, wrong op or
 * hardware type, bad magic cookie, an option that runs past the end or has a length its type does not allow), so a
 * malformed reply is ignored, never thrown. IPv4 addresses are ints in network order of bits (a.b.c.d = a << 24 ...),
 * 0 when absent. Immutable once parsed or built; any thread.
 */
final class DhcpMessage {
    static final int BOOTREQUEST = 1, BOOTREPLY = 2;
    static final int DISCOVER = 1, OFFER = 2, REQUEST = 3, DECLINE = 4, ACK = 5, NAK = 6, RELEASE = 7, INFORM = 8;
    static final int MAGIC_COOKIE = 0x63825363;
    static final int FLAG_BROADCAST = 0x8000;
    static final int OPT_PAD = 0, OPT_SUBNET_MASK = 1, OPT_ROUTER = 3, OPT_DNS = 6, OPT_HOSTNAME = 12,
            OPT_REQUESTED_IP = 50, OPT_LEASE_TIME = 51, OPT_OVERLOAD = 52, OPT_MESSAGE_TYPE = 53, OPT_SERVER_ID = 54,
            OPT_PARAMETERS = 55, OPT_RENEWAL_TIME = 58, OPT_REBINDING_TIME = 59, OPT_CLIENT_ID = 61, OPT_END = 255;
    /** Offset of the magic cookie, and of the options after it. */
    static final int COOKIE_OFFSET = 236, OPTIONS_OFFSET = 240;
    /** BOOTP's minimum message size, which some relays still insist on. */
    static final int MIN_SIZE = 300;

    final int op;
    final int xid;
    final int flags;
    final int ciaddr, yiaddr, siaddr;
    final long chaddr;
    final int type;
    final int subnetMask;
    final List<Integer> routers;
    final List<Integer> dnsServers;
    /** Lease, renewal (T1) and rebinding (T2) times in seconds; -1 when absent. */
    final long leaseSeconds, renewalSeconds, rebindingSeconds;
    final int serverId;
    final int requestedIp;

    private DhcpMessage(int op, int xid, int flags, int ciaddr, int yiaddr, int siaddr, long chaddr, int type,
                        int subnetMask, List<Integer> routers, List<Integer> dnsServers, long leaseSeconds,
                        long renewalSeconds, long rebindingSeconds, int serverId, int requestedIp) {
        this.op = op;
        this.xid = xid;
        this.flags = flags;
        this.ciaddr = ciaddr;
        this.yiaddr = yiaddr;
        this.siaddr = siaddr;
        this.chaddr = chaddr;
        this.type = type;
        this.subnetMask = subnetMask;
        this.routers = routers;
        this.dnsServers = dnsServers;
        this.leaseSeconds = leaseSeconds;
        this.renewalSeconds = renewalSeconds;
        this.rebindingSeconds = rebindingSeconds;
        this.serverId = serverId;
        this.requestedIp = requestedIp;
    }

    /**
     * Encodes a client message (BOOTREQUEST) with its message type, the parameter request list (mask, router, DNS,
     * lease and renewal times), a client identifier from the MAC, and, when not 0, the requested address and server
     * identifier.
     *
     * @param broadcast ask the server to broadcast its reply (we cannot take unicast before we have an address)
     */
    static byte[] request(int type, int xid, int secs, boolean broadcast, int ciaddr, long mac, int requestedIp,
                          int serverId) {
        byte[] b = new byte[MIN_SIZE];
        b[0] = BOOTREQUEST;
        b[1] = 1; // Ethernet
        b[2] = 6;
        put32(b, 4, xid);
        put16(b, 8, Math.min(secs, 0xffff));
        put16(b, 10, broadcast ? FLAG_BROADCAST : 0);
        put32(b, 12, ciaddr);
        for (int i = 0; i < 6; i++) {
            b[28 + i] = (byte) (mac >>> (40 - 8 * i));
        }
        put32(b, COOKIE_OFFSET, MAGIC_COOKIE);
        int o = OPTIONS_OFFSET;
        b[o++] = OPT_MESSAGE_TYPE;
        b[o++] = 1;
        b[o++] = (byte) type;
        b[o++] = OPT_CLIENT_ID;
        b[o++] = 7;
        b[o++] = 1;
        for (int i = 0; i < 6; i++) {
            b[o++] = (byte) (mac >>> (40 - 8 * i));
        }
        if (requestedIp != 0) {
            b[o++] = OPT_REQUESTED_IP;
            b[o++] = 4;
            put32(b, o, requestedIp);
            o += 4;
        }
        if (serverId != 0) {
            b[o++] = OPT_SERVER_ID;
            b[o++] = 4;
            put32(b, o, serverId);
            o += 4;
        }
        b[o++] = OPT_PARAMETERS;
        b[o++] = 5;
        b[o++] = OPT_SUBNET_MASK;
        b[o++] = OPT_ROUTER;
        b[o++] = OPT_DNS;
        b[o++] = OPT_LEASE_TIME;
        b[o++] = OPT_RENEWAL_TIME;
        b[o] = (byte) OPT_END;
        return b;
    }

    /**
     * Decodes {@code len} bytes of {@code b} as a server reply.
     *
     * @return the message, or null when it is not a well-formed BOOTREPLY with a DHCP message type
     */
    static DhcpMessage parse(byte[] b, int len) {
        if (len < OPTIONS_OFFSET || len > b.length || (b[0] & 0xff) != BOOTREPLY || b[1] != 1 || b[2] != 6
                || get32(b, COOKIE_OFFSET) != MAGIC_COOKIE) {
            return null;
        }
        int type = 0, mask = 0, server = 0, requested = 0;
        long lease = -1, t1 = -1, t2 = -1;
        List<Integer> routers = List.of(), dns = List.of();
        int o = OPTIONS_OFFSET;
        while (o < len) {
            int code = b[o] & 0xff;
            if (code == OPT_END) {
                break;
            }
            if (code == OPT_PAD) {
                o++;
                continue;
            }
            if (o + 1 >= len) {
                return null; // the length byte is missing
            }
            int olen = b[o + 1] & 0xff;
            int v = o + 2;
            if (v + olen > len) {
                return null; // the value runs past the end
            }
            switch (code) {
                case OPT_MESSAGE_TYPE -> {
                    if (olen != 1) {
                        return null;
                    }
                    type = b[v] & 0xff;
                }
                case OPT_SUBNET_MASK, OPT_SERVER_ID, OPT_REQUESTED_IP -> {
                    if (olen != 4) {
                        return null;
                    }
                    int a = get32(b, v);
                    if (code == OPT_SUBNET_MASK) {
                        mask = a;
                    } else if (code == OPT_SERVER_ID) {
                        server = a;
                    } else {
                        requested = a;
                    }
                }
                case OPT_LEASE_TIME, OPT_RENEWAL_TIME, OPT_REBINDING_TIME -> {
                    if (olen != 4) {
                        return null;
                    }
                    long t = get32(b, v) & 0xffffffffL;
                    if (code == OPT_LEASE_TIME) {
                        lease = t;
                    } else if (code == OPT_RENEWAL_TIME) {
                        t1 = t;
                    } else {
                        t2 = t;
                    }
                }
                case OPT_ROUTER, OPT_DNS -> {
                    if (olen == 0 || olen % 4 != 0) {
                        return null;
                    }
                    List<Integer> list = new ArrayList<>(olen / 4);
                    for (int i = 0; i < olen; i += 4) {
                        list.add(get32(b, v + i));
                    }
                    if (code == OPT_ROUTER) {
                        routers = List.copyOf(list);
                    } else {
                        dns = List.copyOf(list);
                    }
                }
                default -> {
                    // other options (including overload: we do not read options from sname/file) are skipped
                }
            }
            o = v + olen;
        }
        if (type < DISCOVER || type > INFORM) {
            return null;
        }
        long mac = 0;
        for (int i = 0; i < 6; i++) {
            mac = (mac << 8) | (b[28 + i] & 0xff);
        }
        return new DhcpMessage(b[0] & 0xff, get32(b, 4), get16(b, 10), get32(b, 12), get32(b, 16), get32(b, 20), mac,
                type, mask, routers, dns, lease, t1, t2, server, requested);
    }

    static int get32(byte[] b, int o) {
        return ((b[o] & 0xff) << 24) | ((b[o + 1] & 0xff) << 16) | ((b[o + 2] & 0xff) << 8) | (b[o + 3] & 0xff);
    }

    static int get16(byte[] b, int o) {
        return ((b[o] & 0xff) << 8) | (b[o + 1] & 0xff);
    }

    static void put32(byte[] b, int o, int v) {
        b[o] = (byte) (v >>> 24);
        b[o + 1] = (byte) (v >>> 16);
        b[o + 2] = (byte) (v >>> 8);
        b[o + 3] = (byte) v;
    }

    static void put16(byte[] b, int o, int v) {
        b[o] = (byte) (v >>> 8);
        b[o + 1] = (byte) v;
    }
}
