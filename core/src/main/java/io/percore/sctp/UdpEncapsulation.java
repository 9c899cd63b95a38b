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

    private UdpEncapsulation(RawSocket s, int remotePort) {
        super(s);
        this.remotePort = remotePort;
    }

    /**
     * Binds a UDP socket on the calling shard.
     *
     * @param local      address and UDP port to bind (port 0: ephemeral)
     * @param remotePort UDP port of peers we connect to
     * @param reusePort  SO_REUSEPORT, so that every shard can bind the same port (the kernel spreads peers)
     */
    public static UdpEncapsulation bind(SocketAddress local, int remotePort, boolean reusePort) {
        RawSocket s = RawSocket.open(local.isIpv6(), RawSocket.SOCK_DGRAM, RawSocket.IPPROTO_UDP);
        try {
            if (reusePort) {
                s.setOption(RawSocket.SOL_SOCKET, RawSocket.SO_REUSEPORT, 1);
            }
            s.setOption(RawSocket.SOL_SOCKET, RawSocket.SO_RCVBUF, 4 << 20);
            s.setOption(RawSocket.SOL_SOCKET, RawSocket.SO_SNDBUF, 4 << 20);
            s.bind(local.ip(), local.port());
            return new UdpEncapsulation(s, remotePort);
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
