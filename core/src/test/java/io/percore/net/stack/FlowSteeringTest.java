package io.percore.net.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.percore.sys.ClassicBpf;
import io.percore.sys.ClassicBpfInterpreter;
import io.percore.sys.Fd;
import io.percore.sys.PacketSocket;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fanout program ({@link FlowSteering#program}) against the stack's hash ({@link FlowSteering#shard}, which
 * {@link NativeNetwork#flowShard} is): run by a cBPF interpreter with the kernel's semantics on random and edge-case
 * frames, the program must pick the shard the stack picks from the same frame (the reference below parses frames by
 * the stack's rules), or queue 0 for what it does not steer. The kernel's own run is PacketDeviceKernelPeerTest's.
 */
class FlowSteeringTest {
    private static final int[] QUEUE_COUNTS = {2, 3, 4, 7, 16};

    @Test
    void programPicksTheStacksShardForRandomIpv4AndIpv6Frames() {
        SplittableRandom r = new SplittableRandom(42);
        for (int queues : QUEUE_COUNTS) {
            ClassicBpf.Program p = FlowSteering.program(queues);
            int[] seen = new int[queues];
            for (int i = 0; i < 20_000; i++) {
                byte[] frame = randomFrame(r);
                int want = stackChoice(frame, queues);
                int got = ClassicBpfInterpreter.run(p, frame);
                assertEquals(want, got, () -> "queues " + queues + ", frame " + hex(frame));
                seen[got]++;
            }
            for (int q = 0; q < queues; q++) {
                assertTrue(seen[q] > 0, "queue " + q + " of " + queues + " never chosen");
            }
        }
    }

    @Test
    void edgeCases() {
        ClassicBpf.Program p = FlowSteering.program(4);
        // All-zero and all-one addresses and ports, each transport, DF set (not a fragment).
        for (int proto : new int[] {6, 17}) {
            for (int port : new int[] {0, 1, 0x8000, 0xffff}) {
                byte[] v4 = ipv4(0, -1, proto, 5, port, 0xffff - port, 0x4000, 0);
                assertEquals(stackChoice(v4, 4), ClassicBpfInterpreter.run(p, v4));
                byte[] v4b = ipv4(-1, 0, proto, 15, port, port, 0, 0); // 40 bytes of options
                assertEquals(stackChoice(v4b, 4), ClassicBpfInterpreter.run(p, v4b));
                byte[] v6 = ipv6(new long[] {-1, -1}, new long[] {0, 0}, proto, new int[0], port, port);
                assertEquals(stackChoice(v6, 4), ClassicBpfInterpreter.run(p, v6));
            }
        }
        // Not steered: ARP, ICMP, ICMPv6, an unknown Ethernet type, a longer IPv6 chain than the program walks.
        byte[] arp = new byte[42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        assertEquals(0, ClassicBpfInterpreter.run(p, arp));
        assertEquals(0, ClassicBpfInterpreter.run(p, ipv4(1, 2, 1, 5, 0x0800, 0, 0, 0)));
        assertEquals(0, ClassicBpfInterpreter.run(p, ipv6(new long[] {1, 2}, new long[] {3, 4}, 58, new int[0], 0x8000, 0)));
        byte[] other = ipv4(1, 2, 6, 5, 1, 2, 0, 0);
        other[12] = (byte) 0x88;
        other[13] = (byte) 0xb5;
        assertEquals(0, ClassicBpfInterpreter.run(p, other));
        int[] chain = new int[FlowSteering.IPV6_EXTENSION_HEADERS + 1];
        java.util.Arrays.fill(chain, 60);
        assertEquals(0, ClassicBpfInterpreter.run(p, ipv6(new long[] {1, 2}, new long[] {3, 4}, 6, chain, 5, 6)));
        int[] longest = java.util.Arrays.copyOf(chain, FlowSteering.IPV6_EXTENSION_HEADERS);
        byte[] walked = ipv6(new long[] {1, 2}, new long[] {3, 4}, 6, longest, 5, 6);
        assertEquals(stackChoice(walked, 4), ClassicBpfInterpreter.run(p, walked));
        // Truncated before the ports: the load fails and the kernel's program returns 0 (the stack drops these).
        byte[] cut = java.util.Arrays.copyOf(ipv4(1, 2, 6, 5, 1, 2, 0, 0), 14 + 20 + 2);
        assertEquals(0, ClassicBpfInterpreter.run(p, cut));
        // A VLAN-tagged frame reaches the program untagged: steered by its inner headers.
        byte[] plain = ipv4(0x0a000001, 0x0a000002, 6, 5, 40000, 80, 0, 0);
        byte[] tagged = new byte[plain.length + 4];
        System.arraycopy(plain, 0, tagged, 0, 12);
        tagged[12] = (byte) 0x81;
        tagged[15] = 7;
        System.arraycopy(plain, 12, tagged, 16, plain.length - 12);
        assertEquals(ClassicBpfInterpreter.run(p, plain), ClassicBpfInterpreter.run(p, tagged));
    }

    @Test
    void oneClientsSuccessivePortsSpreadEvenly() {
        IpAddr local = IpAddr.v4(0xc0a84e02), remote = IpAddr.v4(0xc0a84e01);
        IpAddr local6 = new IpAddr(0xfd78L << 48, 2, true), remote6 = new IpAddr(0xfd78L << 48, 1, true);
        for (int shards : new int[] {2, 4}) {
            int[] v4 = new int[shards], v6 = new int[shards];
            for (int port = 32768; port < 32768 + 4000; port++) {
                v4[FlowSteering.shard(local, remote, 7, port, shards)]++;
                v6[FlowSteering.shard(local6, remote6, 7, port, shards)]++;
            }
            for (int s = 0; s < shards; s++) {
                int expected = 4000 / shards;
                assertTrue(Math.abs(v4[s] - expected) < expected / 10, "IPv4 shard " + s + ": " + v4[s] + " of 4000");
                assertTrue(Math.abs(v6[s] - expected) < expected / 10, "IPv6 shard " + s + ": " + v6[s] + " of 4000");
            }
        }
    }

    @Test
    void networkFlowShardIsTheSteeringHash() {
        NativeNetwork net = NativeNetwork.create(MemoryDevicePair.create(3, 1500).left(),
                NativeStackConfig.ipv4("10.0.0.1", "255.255.255.0", null), 3);
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 1000; i++) {
            IpAddr a = IpAddr.v4(r.nextInt()), b = IpAddr.v4(r.nextInt());
            int lp = r.nextInt(65536), rp = r.nextInt(65536);
            assertEquals(FlowSteering.shard(a, b, lp, rp, 3), net.flowShard(a, b, lp, rp));
        }
        net.close();
    }

    @Test
    void theKernelsCheckerTakesTheProgram() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs CAP_NET_RAW for an AF_PACKET socket; skipped");
        PacketSocket.RingSpec spec = new PacketSocket.RingSpec(4096, 2, 1, 0, 0);
        System.out.println("fanout program: " + FlowSteering.program(2).size() + " cBPF instructions");
        for (int queues : new int[] {2, 4, 16}) {
            int group = (int) ((ProcessHandle.current().pid() * 31 + queues) & 0xffff);
            PacketSocket.Opened o = PacketSocket.open("lo", spec, false, false, group, FlowSteering.program(queues));
            try {
                PacketSocket.setFanoutProgram(o.fd(), FlowSteering.program(queues)); // and once more, replacing it
            } finally {
                PacketSocket.unmap(o.ring());
                Fd.close(o.fd());
            }
        }
    }

    // ------------------------------------------------------------------ frames and the stack's rules

    /**
     * @return the queue the stack's receive path would want for {@code frame}: the flow's shard for TCP and UDP over
     * IPv4 and IPv6 (after at most {@link FlowSteering#IPV6_EXTENSION_HEADERS} extension headers) and for fragments,
     * else {@link FlowSteering#DEFAULT_QUEUE}
     */
    static int stackChoice(byte[] f, int shards) {
        ByteBuffer b = ByteBuffer.wrap(f);
        int type = b.getShort(12) & 0xffff;
        if (type == NativeStack.ETH_IPV4) {
            int o = 14;
            int ihl = (f[o] & 0xf) * 4;
            IpAddr src = IpAddr.v4(b.getInt(o + 12)), dst = IpAddr.v4(b.getInt(o + 16));
            int proto = f[o + 9] & 0xff;
            int frag = b.getShort(o + 6) & 0xffff;
            if ((frag & 0x2000) != 0 || (frag & 0x1fff) != 0) {
                return FlowSteering.shard(dst, src, b.getShort(o + 4) & 0xffff, proto, shards);
            }
            if (proto == NativeStack.PROTO_TCP || proto == NativeStack.PROTO_UDP) {
                return FlowSteering.shard(dst, src, b.getShort(o + ihl + 2) & 0xffff, b.getShort(o + ihl) & 0xffff, shards);
            }
            return FlowSteering.DEFAULT_QUEUE;
        }
        if (type == NativeStack.ETH_IPV6) {
            int o = 14;
            IpAddr src = new IpAddr(b.getLong(o + 8), b.getLong(o + 16), true);
            IpAddr dst = new IpAddr(b.getLong(o + 24), b.getLong(o + 32), true);
            int nh = f[o + 6] & 0xff;
            int off = 40;
            int walked = 0;
            while (nh == 0 || nh == 43 || nh == 60) {
                if (++walked > FlowSteering.IPV6_EXTENSION_HEADERS) {
                    return FlowSteering.DEFAULT_QUEUE;
                }
                nh = f[o + off] & 0xff;
                off += ((f[o + off + 1] & 0xff) + 1) * 8;
            }
            if (nh == 44) {
                int id = b.getInt(o + off + 4);
                return FlowSteering.shard(dst, src, id & 0xffff, id >>> 16, shards);
            }
            if (nh == NativeStack.PROTO_TCP || nh == NativeStack.PROTO_UDP) {
                return FlowSteering.shard(dst, src, b.getShort(o + off + 2) & 0xffff, b.getShort(o + off) & 0xffff, shards);
            }
        }
        return FlowSteering.DEFAULT_QUEUE;
    }

    private static byte[] randomFrame(SplittableRandom r) {
        int proto = r.nextInt(10) == 0 ? 1 : r.nextBoolean() ? 6 : 17;
        if (r.nextBoolean()) {
            int frag = switch (r.nextInt(8)) {
                case 0 -> 0x2000 | r.nextInt(0x2000); // more fragments
                case 1 -> 1 + r.nextInt(0x1fff);      // a later fragment
                case 2 -> 0x4000;                     // don't fragment
                default -> 0;
            };
            return ipv4(r.nextInt(), r.nextInt(), proto, 5 + (r.nextInt(4) == 0 ? r.nextInt(11) : 0), r.nextInt(65536),
                    r.nextInt(65536), frag, r.nextInt(65536));
        }
        int[] chain = new int[r.nextInt(3) == 0 ? r.nextInt(FlowSteering.IPV6_EXTENSION_HEADERS + 2) : 0];
        for (int i = 0; i < chain.length; i++) {
            chain[i] = new int[] {0, 43, 60}[r.nextInt(3)];
        }
        int nh = r.nextInt(8) == 0 ? 44 : proto == 1 ? 58 : proto;
        return ipv6(new long[] {r.nextLong(), r.nextLong()}, new long[] {r.nextLong(), r.nextLong()}, nh, chain,
                r.nextInt(65536), r.nextInt(65536), r);
    }

    /** An Ethernet + IPv4 frame with {@code ihlWords} header words, then 8 bytes starting with the two ports. */
    static byte[] ipv4(int src, int dst, int proto, int ihlWords, int sport, int dport, int frag, int id) {
        int ihl = ihlWords * 4;
        ByteBuffer b = ByteBuffer.allocate(14 + ihl + 8);
        b.putShort(12, (short) NativeStack.ETH_IPV4);
        b.put(14, (byte) (0x40 | ihlWords));
        b.putShort(16, (short) (ihl + 8));
        b.putShort(18, (short) id);
        b.putShort(20, (short) frag);
        b.put(22, (byte) 64);
        b.put(23, (byte) proto);
        b.putInt(26, src);
        b.putInt(30, dst);
        for (int i = 34; i < 14 + ihl; i++) {
            b.put(i, (byte) 1); // NOP options
        }
        b.putShort(14 + ihl, (short) sport);
        b.putShort(14 + ihl + 2, (short) dport);
        return b.array();
    }

    static byte[] ipv6(long[] src, long[] dst, int proto, int[] chain, int sport, int dport) {
        return ipv6(src, dst, proto, chain, sport, dport, new SplittableRandom(chain.length));
    }

    /** An Ethernet + IPv6 frame whose extension headers {@code chain} lead to {@code proto}, then 8 more bytes. */
    static byte[] ipv6(long[] src, long[] dst, int proto, int[] chain, int sport, int dport, SplittableRandom r) {
        int[] lengths = new int[chain.length];
        int ext = 0;
        for (int i = 0; i < chain.length; i++) {
            lengths[i] = r.nextInt(3);
            ext += (lengths[i] + 1) * 8;
        }
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + ext + 8);
        b.putShort(12, (short) NativeStack.ETH_IPV6);
        b.putInt(14, 0x6000_0000);
        b.putShort(18, (short) (ext + 8));
        b.put(20, (byte) (chain.length > 0 ? chain[0] : proto));
        b.put(21, (byte) 64);
        b.putLong(22, src[0]).putLong(30, src[1]).putLong(38, dst[0]).putLong(46, dst[1]);
        int o = 14 + 40;
        for (int i = 0; i < chain.length; i++) {
            b.put(o, (byte) (i + 1 < chain.length ? chain[i + 1] : proto));
            b.put(o + 1, (byte) lengths[i]);
            o += (lengths[i] + 1) * 8;
        }
        if (proto == 44) {
            b.put(o, (byte) 17);
            b.putShort(o + 2, (short) (r.nextInt(0x2000) << 3 | r.nextInt(2)));
            b.putInt(o + 4, r.nextInt());
        } else {
            b.putShort(o, (short) sport);
            b.putShort(o + 2, (short) dport);
        }
        return b.array();
    }

    private static String hex(byte[] f) {
        StringBuilder s = new StringBuilder();
        for (byte x : f) {
            s.append(String.format("%02x", x & 0xff));
        }
        return s.toString();
    }
}
