package io.percore.sctp;

import io.percore.net.SocketAddress;
import io.percore.sys.ErrnoException;
import io.percore.sys.RawSocket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import org.junit.jupiter.api.Assumptions;

/** What the usrsctp interop suites set up alike, for the loopback address of the family each one tests. */
final class InteropSetup {
    private InteropSetup() {}

    /** @return a UDP port free on {@code loopback} a moment ago. */
    static int freeUdpPort(InetAddress loopback) throws Exception {
        try (DatagramSocket s = new DatagramSocket(0, loopback)) {
            return s.getLocalPort();
        }
    }

    /** Aborts the test (skipped, with the reason) when {@code transport} is raw and raw sockets are refused. */
    static void assumeRaw(String transport, InetAddress loopback) {
        if (transport.equals("raw")) {
            boolean ipv6 = loopback.getAddress().length == 16;
            try {
                RawSocket.open(ipv6, RawSocket.SOCK_RAW, RawSocket.IPPROTO_SCTP).close();
            } catch (ErrnoException e) {
                Assumptions.abort("raw IP" + (ipv6 ? "v6" : "") + " needs CAP_NET_RAW: " + e.getMessage());
            }
        }
    }

    /** @return a transport of {@code kind} ("udp" or "raw") on {@code loopback}; UDP peers listen on {@code remoteUdp}. */
    static SctpTransport transport(String kind, int remoteUdp, InetAddress loopback) {
        return kind.equals("udp") ? UdpEncapsulation.bind(new SocketAddress(loopback, 0), remoteUdp, false)
                : RawIpTransport.open(loopback);
    }

    /** @return the association options of the interop runs: 16 streams each way, room for 256 KiB messages. */
    static InitOptions options() {
        return InitOptions.defaults().withStreams(16, 16).withBuffers(4 << 20, 4 << 20, 1 << 20);
    }
}
