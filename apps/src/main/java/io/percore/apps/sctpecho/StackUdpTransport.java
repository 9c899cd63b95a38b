package io.percore.apps.sctpecho;

import io.percore.core.Futures;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.NetException;
import io.percore.net.Network;
import io.percore.net.SocketAddress;
import io.percore.net.UdpChannel;
import io.percore.sctp.SctpTransport;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SCTP over UDP (RFC 6951) carried by the shard's own {@link Network#stack()}: what sctp-echo uses under
 * {@code --network-stack native}, where the kernel's UDP sockets (those of
 * {@link io.percore.sctp.UdpEncapsulation}) would bypass the native stack. Each SCTP packet is one datagram of a
 * {@link UdpChannel}; sends are best effort, as on a socket (SCTP retransmits). Owner shard only.
 */
final class StackUdpTransport implements SctpTransport {
    private static final Logger LOG = LoggerFactory.getLogger(StackUdpTransport.class);

    private final UdpChannel channel;
    private final int remotePort;
    /** The receiver reads a packet during its call only, so one array serves every datagram. */
    private final byte[] in = new byte[65536];
    private boolean closed;

    private StackUdpTransport(UdpChannel channel, int remotePort) {
        this.channel = channel;
        this.remotePort = remotePort;
    }

    /**
     * Binds a UDP channel of the calling shard's stack.
     *
     * @param local      address and UDP port to bind (port 0: any free port)
     * @param remotePort UDP port of peers we connect to
     */
    static StackUdpTransport bind(SocketAddress local, int remotePort) {
        return new StackUdpTransport(Network.stack().udpChannel(local), remotePort);
    }

    @Override
    public void start(Receiver receiver) {
        Futures.keepDoing(() -> channel.receive().thenAccept(d -> {
            Buffer data = d.data();
            try {
                int n = Math.min(data.length(), in.length);
                MemorySegment.copy(data.segment(), ValueLayout.JAVA_BYTE, 0, in, 0, n);
                receiver.receive(in, 0, n, d.sender());
            } finally {
                data.release();
            }
        })).onComplete((v, e) -> {
            if (!closed && !(e instanceof NetException.SocketClosed)) {
                LOG.error("SCTP over the stack's UDP stopped receiving", e);
            }
        });
    }

    @Override
    public void send(SocketAddress to, byte[] packet, int off, int len) {
        Buffer b = Buffer.allocate(len);
        MemorySegment.copy(packet, off, b.segment(), ValueLayout.JAVA_BYTE, 0, len);
        channel.send(to, Packet.of(b)).onComplete((v, e) -> {
            if (e != null) {
                LOG.debug("SCTP packet to {} not sent: {}", to, e.toString());
            }
        });
    }

    @Override
    public SocketAddress transportAddress(InetAddress ip) {
        return new SocketAddress(ip, remotePort);
    }

    @Override
    public int overhead(SocketAddress to) {
        return (to.isIpv6() ? 40 : 20) + 8;
    }

    @Override
    public void close() {
        closed = true;
        channel.close();
    }
}
