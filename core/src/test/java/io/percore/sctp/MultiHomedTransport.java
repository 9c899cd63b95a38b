package io.percore.sctp;

import io.percore.net.SocketAddress;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A test host with several addresses: one kernel transport (leg) per address, all delivering to one stack. Packets
 * leave from the {@link #source} leg (the host's source address choice) unless that address is {@link #down};
 * {@link #crashed} drops everything in and out, so that closing the stack afterwards tells the peer nothing (a
 * host that lost power). Owner shard only.
 */
final class MultiHomedTransport implements SctpTransport {
    final List<InetAddress> addresses;
    private final List<SctpTransport> legs;
    final boolean[] down;
    int source;
    boolean crashed;
    private Receiver receiver;

    private MultiHomedTransport(List<InetAddress> addresses, List<SctpTransport> legs) {
        this.addresses = addresses;
        this.legs = legs;
        this.down = new boolean[legs.size()];
    }

    /**
     * UDP legs on {@code ips}, all on UDP port {@code localUdp} (0: the first leg picks one, the others take it),
     * sending to peers' UDP port {@code remoteUdp}.
     */
    static MultiHomedTransport udp(int localUdp, int remoteUdp, boolean reusePort, String... ips) {
        List<SctpTransport> legs = new ArrayList<>();
        int port = localUdp;
        try {
            for (String ip : ips) {
                UdpEncapsulation u = UdpEncapsulation.bind(SocketAddress.of(ip, port), remoteUdp, reusePort);
                legs.add(u);
                port = u.localPort();
            }
        } catch (RuntimeException e) {
            legs.forEach(SctpTransport::close);
            throw e;
        }
        return new MultiHomedTransport(addresses(ips), legs);
    }

    /** Raw IPv4 legs, one bound to each of {@code ips}. */
    static MultiHomedTransport raw(String... ips) {
        List<SctpTransport> legs = new ArrayList<>();
        try {
            for (String ip : ips) {
                legs.add(RawIpTransport.open(SocketAddress.parseLiteral(ip)));
            }
        } catch (RuntimeException e) {
            legs.forEach(SctpTransport::close);
            throw e;
        }
        return new MultiHomedTransport(addresses(ips), legs);
    }

    private static List<InetAddress> addresses(String... ips) {
        return java.util.Arrays.stream(ips).map(SocketAddress::parseLiteral).toList();
    }

    /** @return the UDP port of the legs (UDP legs only). */
    int udpPort() {
        return ((UdpEncapsulation) legs.get(0)).localPort();
    }

    @Override
    public void start(Receiver r) {
        this.receiver = r;
        for (int i = 0; i < legs.size(); i++) {
            int leg = i;
            legs.get(i).start((p, off, len, from) -> {
                if (!crashed && !down[leg]) {
                    receiver.receive(p, off, len, from);
                }
            });
        }
    }

    @Override
    public void send(SocketAddress to, byte[] packet, int off, int len) {
        if (crashed) {
            return;
        }
        for (int k = 0; k < legs.size(); k++) {
            int leg = (source + k) % legs.size();
            if (!down[leg] && AddressScope.carries(legs.get(leg), to.ip())) {
                legs.get(leg).send(to, packet, off, len);
                return;
            }
        }
    }

    @Override
    public SocketAddress transportAddress(InetAddress ip) {
        return legs.get(0).transportAddress(ip);
    }

    @Override
    public int overhead(SocketAddress to) {
        return legs.get(0).overhead(to);
    }

    @Override
    public List<InetAddress> localAddresses() {
        return addresses;
    }

    @Override
    public boolean seesEveryPacket() {
        return legs.get(0).seesEveryPacket();
    }

    @Override
    public boolean carriesIpv4() {
        return legs.stream().anyMatch(SctpTransport::carriesIpv4);
    }

    @Override
    public boolean carriesIpv6() {
        return legs.stream().anyMatch(SctpTransport::carriesIpv6);
    }

    @Override
    public void close() {
        legs.forEach(SctpTransport::close);
    }
}
