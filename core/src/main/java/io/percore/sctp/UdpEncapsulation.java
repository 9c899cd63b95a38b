package io.percore.sctp;

import io.percore.net.SocketAddress;
import io.percore.sys.RawSocket;
import java.net.InetAddress;

/**
 * SCTP over UDP (RFC 6951): each SCTP packet is the payload of one UDP datagram; no privilege needed. The peer's
 * transport address is its IP and UDP port (remembered per path from what it sends); a new association goes to
 * the peer's well-known encapsulation port ({@link #DEFAULT_PORT} unless told otherwise). Owner shard only.
 */
public final class UdpEncapsulation extends SocketTransport {
    /** The IANA-assigned SCTP-over-UDP port. */
    public static final int DEFAULT_PORT = 9899;

    private final int remotePort;

    private UdpEncapsulation(RawSocket s, int remotePort, boolean ipv4, boolean ipv6) {
        super(s, ipv4, ipv6);
        this.remotePort = remotePort;
    }

    /**
     * Binds a UDP socket on the calling shard.
     *
     * @param local      address and UDP port to bind (port 0: ephemeral). The IPv6 wildcard {@code ::} makes a
     *                   dual-stack socket that carries IPv4 (as v4-mapped addresses) and IPv6; another IPv6
     *                   address carries IPv6 only, an IPv4 address IPv4 only
     * @param remotePort UDP port of peers we connect to
     * @param reusePort  SO_REUSEPORT, so that every shard can bind the same port (the kernel spreads peers)
     */
    public static UdpEncapsulation bind(SocketAddress local, int remotePort, boolean reusePort) {
        RawSocket s = RawSocket.open(local.isIpv6(), RawSocket.SOCK_DGRAM, RawSocket.IPPROTO_UDP);
        try {
            boolean v6 = local.isIpv6();
            boolean dualStack = v6 && local.ip().isAnyLocalAddress();
            if (v6) {
                // Explicit, as net.ipv6.bindv6only may default to 1 on some hosts.
                s.setOption(RawSocket.IPPROTO_IPV6, RawSocket.IPV6_V6ONLY, dualStack ? 0 : 1);
            }
            if (reusePort) {
                s.setOption(RawSocket.SOL_SOCKET, RawSocket.SO_REUSEPORT, 1);
            }
            s.setOption(RawSocket.SOL_SOCKET, RawSocket.SO_RCVBUF, 4 << 20);
            s.setOption(RawSocket.SOL_SOCKET, RawSocket.SO_SNDBUF, 4 << 20);
            s.bind(local.ip(), local.port());
            return new UdpEncapsulation(s, remotePort, !v6 || dualStack, v6);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** @return the bound UDP port. */
    public int localPort() {
        return socket.localPort();
    }

    @Override
    void deliver(int n) {
        receiver.receive(in, 0, n, new SocketAddress(socket.lastSender(), socket.lastSenderPort()));
    }

    @Override
    int sendPort(SocketAddress to) {
        return to.port();
    }

    @Override
    public SocketAddress transportAddress(InetAddress ip) {
        return new SocketAddress(ip, remotePort);
    }

    @Override
    public int overhead(SocketAddress to) {
        return (to.isIpv6() ? 40 : 20) + 8;
    }
}
