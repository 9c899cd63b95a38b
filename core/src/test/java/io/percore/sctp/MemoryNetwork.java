package io.percore.sctp;

import io.percore.core.Reactor;
import io.percore.core.Timer;
import io.percore.net.SocketAddress;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiPredicate;

/**
 * An in-memory IP network for SCTP tests on one shard, with a deterministic fault shim: each packet may be
 * dropped, duplicated, delayed or reordered, decided by a seeded random generator.
 */
final class MemoryNetwork {
    final SplittableRandom rnd;
    double drop;
    double duplicate;
    double reorder;
    Duration delay = Duration.ZERO;
    /** Packets (from, to) for which this answers true are lost; null passes all. */
    BiPredicate<InetAddress, InetAddress> blackhole;
    long sent;
    long dropped;
    private final Map<InetAddress, Node> nodes = new HashMap<>();

    MemoryNetwork(long seed) {
        this.rnd = new SplittableRandom(seed);
    }

    MemoryNetwork faults(double drop, double duplicate, double reorder, Duration delay) {
        this.drop = drop;
        this.duplicate = duplicate;
        this.reorder = reorder;
        this.delay = delay;
        return this;
    }

    static InetAddress ip(String literal) {
        return SocketAddress.parseLiteral(literal);
    }

    /** A host with these addresses (the first is its source address). */
    Node node(String... ips) {
        Node n = new Node(ips);
        for (String s : ips) {
            nodes.put(ip(s), n);
        }
        return n;
    }

    final class Node implements SctpTransport {
        final List<InetAddress> addresses;
        InetAddress source;
        SctpTransport.Receiver receiver;

        Node(String... ips) {
            addresses = java.util.Arrays.stream(ips).map(MemoryNetwork::ip).toList();
            source = addresses.get(0);
        }

        @Override
        public void start(Receiver r) {
            receiver = r;
        }

        @Override
        public void send(SocketAddress to, byte[] packet, int off, int len) {
            sent++;
            byte[] copy = java.util.Arrays.copyOfRange(packet, off, off + len);
            InetAddress from = source;
            if (blackhole != null && blackhole.test(from, to.ip())) {
                dropped++;
                return;
            }
            if (rnd.nextDouble() < drop) {
                dropped++;
                return;
            }
            int copies = rnd.nextDouble() < duplicate ? 2 : 1;
            for (int i = 0; i < copies; i++) {
                long d = delay.toNanos();
                if (rnd.nextDouble() < reorder) {
                    d += rnd.nextLong(1, 5_000_000); // up to 5 ms later than its neighbours
                }
                Node dst = nodes.get(to.ip());
                if (dst == null || dst.receiver == null) {
                    return;
                }
                Runnable deliver = () -> dst.receiver.receive(copy, 0, copy.length, new SocketAddress(from, 0));
                if (d == 0) {
                    Reactor.current().schedule(deliver);
                } else {
                    new Timer(deliver).arm(Duration.ofNanos(d));
                }
            }
        }

        @Override
        public SocketAddress transportAddress(InetAddress ip) {
            return new SocketAddress(ip, 0);
        }

        @Override
        public int overhead(SocketAddress to) {
            return 20;
        }

        @Override
        public List<InetAddress> localAddresses() {
            return addresses.size() > 1 ? addresses : List.of();
        }

        @Override
        public void close() {
            receiver = null;
        }
    }
}
