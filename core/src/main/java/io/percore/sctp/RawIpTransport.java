package io.percore.sctp;

import io.percore.net.SocketAddress;
import io.percore.sys.RawSocket;
import java.net.InetAddress;

/**
 * SCTP directly over IP (protocol 132) through a raw socket, as real 5G peers speak it; needs CAP_NET_RAW. Every
 * raw SCTP socket of the host receives every SCTP packet, so the stack ignores packets to ports it does not own.
 * IPv4 raw sockets deliver the IP header first: it is skipped here. IPv6 raw sockets deliver the payload alone
 * (the IPv6 header and its extension headers stay in the kernel). The SCTP checksum (CRC32c) covers no
 * pseudo-header, so the same packet bytes go out over either family; IPV6_CHECKSUM is left off (its default for
 * protocols other than ICMPv6), as the kernel would otherwise write an Internet checksum into the packet. One
 * transport carries one family: open one per family for a host reachable over both. Owner shard only.
 */
public final class RawIpTransport extends SocketTransport {
    private RawIpTransport(RawSocket s) {
        super(s, !s.isIpv6(), s.isIpv6()); // a raw IPv6 socket neither sends nor receives IPv4
    }

    /**
     * Opens a raw SCTP socket on the calling shard.
     *
     * @param local the local address to bind (wildcard for all); its family is the transport's (IPv4 or IPv6)
     * @throws io.percore.sys.ErrnoException EPERM without CAP_NET_RAW
     */
    public static RawIpTransport open(InetAddress local) {
        boolean v6 = local instanceof java.net.Inet6Address;
        RawSocket s = RawSocket.open(v6, RawSocket.SOCK_RAW, RawSocket.IPPROTO_SCTP);
        try {
            s.setOption(RawSocket.SOL_SOCKET, RawSocket.SO_RCVBUF, 4 << 20);
            s.setOption(RawSocket.SOL_SOCKET, RawSocket.SO_SNDBUF, 4 << 20);
            if (!local.isAnyLocalAddress()) {
                s.bind(local, 0);
            }
            return new RawIpTransport(s);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    @Override
    void deliver(int n) {
        int off = 0;
        if (!socket.isIpv6()) {
            if (n < 20 || (in[0] >> 4) != 4) {
                return;
            }
            off = (in[0] & 0x0F) * 4;
            if (off < 20 || off > n) {
                return;
            }
        }
        receiver.receive(in, off, n - off, new SocketAddress(socket.lastSender(), 0));
    }

    @Override
    public boolean seesEveryPacket() {
        return true; // every raw SCTP socket of the host gets a copy of every SCTP packet
    }

    @Override
    int sendPort(SocketAddress to) {
        return 0;
    }

    @Override
    public SocketAddress transportAddress(InetAddress ip) {
        return new SocketAddress(ip, 0);
    }

    @Override
    public int overhead(SocketAddress to) {
        return to.isIpv6() ? 40 : 20;
    }
}
