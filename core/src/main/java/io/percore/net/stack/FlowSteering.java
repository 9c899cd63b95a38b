package io.percore.net.stack;

import io.percore.sys.ClassicBpf;
import io.percore.sys.ClassicBpf.Assembler;
import io.percore.sys.ClassicBpf.Label;

/**
 * The flow hash that decides which shard owns a flow, in the two forms that must agree: {@link #shard} in Java, which
 * the stack uses for every received packet and {@code connect()} uses to pick a source port whose replies come back to
 * the calling shard, and {@link #program}, the same computation as a classic BPF program the kernel runs for every
 * frame an AF_PACKET fanout group receives ({@code PACKET_FANOUT_CBPF}), so frames land on their owner's queue and
 * are not handed between shards. One class holds both so that a change to one is a change to the other;
 * {@code FlowSteeringTest} runs the program on many frames against {@link #shard}, and the AF_PACKET kernel peer
 * test counts hand-overs through a real kernel.
 *
 * <h2>The hash</h2>
 * cBPF has 32-bit registers and no rotate, so the hash is 32-bit multiply-xorshift: over the words of the flow, in
 * the order they sit in a received frame (the remote address — the frame's source — in 1 or 4 big-endian words, the
 * local address likewise, then {@code remotePort << 16 | localPort}, the first word of the TCP or UDP header),
 * {@code h = (h ^ w) * 0x9E3779B1; h ^= h >>> 16}, then {@code h *= 0x85EBCA6B; h ^= h >>> 16}, and the shard is
 * {@code h mod shards} (unsigned). Each word costs 7 instructions; the multiplies carry every input bit into the
 * high half and the shifts bring it back down to the low bits a small modulus reads. It is not keyed: the shard a
 * flow maps to is predictable from its addresses, as with a NIC's default RSS key.
 *
 * <h2>What the program steers</h2>
 * <ul>
 * <li>IPv4 TCP and UDP (any header length, from the IHL field): the stack's shard. IPv4 fragments do not reach it
 * (the fanout group reassembles them first, {@code PACKET_FANOUT_FLAG_DEFRAG}); if one does, it goes where the
 * stack reassembles it, the hash over (addresses, {@code protocol << 16 | identification}).</li>
 * <li>IPv6 TCP and UDP behind up to {@link #IPV6_EXTENSION_HEADERS} hop-by-hop, routing or destination-options
 * headers (the ones the stack walks), and IPv6 fragments (hash over addresses and identification, as the stack's
 * reassembly does). A longer chain goes to queue 0 and is handed over once, as before.</li>
 * <li>Everything else — ARP, ICMP and ICMPv6 (echo is answered on any shard; neighbour discovery is shared with
 * every shard anyway), other protocols, frames too short to hold what the program reads — goes to queue 0.</li>
 * </ul>
 * VLAN-tagged frames are not the stack's (the AF_PACKET device skips frames whose tag the kernel stripped), so the
 * program reads no tags; the kernel hands it the untagged frame, which it steers like any other.
 *
 * <p>The program steers by the flow hash alone; it knows nothing of listeners or bound UDP ports. A TCP port that
 * only some shards listen on, and a UDP port bound on one shard, keep a hand-over for the flows the hash puts
 * elsewhere (see {@link NativeNetwork#tcpOwner} and {@link NativeNetwork#udpOwner}).
 *
 * <p>Where the program reads: for a received frame the kernel runs a fanout program with the packet's data
 * starting at the network header (the Ethernet header already pulled), so offset 0 is the IP header, and the
 * Ethernet type comes from the ancillary {@code SKF_AD_PROTOCOL}. Frames the host sends are also shown to the group,
 * with data at the Ethernet header: the program misreads them, harmlessly, since the device skips outgoing frames.
 *
 * <p>Plain functions: any thread.
 */
final class FlowSteering {
    /** Multiplier per word (2^32 / golden ratio, odd). */
    static final int WORD_MULTIPLIER = 0x9E3779B1;
    /** Multiplier of the final mix (murmur3's fmix32 constant). */
    static final int FINAL_MULTIPLIER = 0x85EBCA6B;
    /** IPv6 extension headers the program walks before the transport header (the stack walks any number). */
    static final int IPV6_EXTENSION_HEADERS = 4;
    /** Queue of the frames the program does not steer by flow. */
    static final int DEFAULT_QUEUE = 0;

    private static final int ETH_IPV4 = 0x0800, ETH_IPV6 = 0x86DD;
    private static final int M_HASH = 0, M_OFFSET = 1;

    private FlowSteering() {}

    /**
     * @return the shard, in [0, shards), that owns the flow (local, remote, ports) as the stack sees it: for a
     * received packet local is its destination and remote its source
     */
    static int shard(IpAddr local, IpAddr remote, int localPort, int remotePort, int shards) {
        return shards == 1 ? 0 : Integer.remainderUnsigned(hash(local, remote, localPort, remotePort), shards);
    }

    /** @return the 32-bit flow hash of (local, remote, ports). */
    static int hash(IpAddr local, IpAddr remote, int localPort, int remotePort) {
        int h = 0;
        h = mixAddress(h, remote);
        h = mixAddress(h, local);
        h = mix(h, (remotePort & 0xffff) << 16 | (localPort & 0xffff));
        return finish(h);
    }

    private static int mixAddress(int h, IpAddr a) {
        if (!a.v6()) {
            return mix(h, a.v4());
        }
        h = mix(h, (int) (a.hi() >>> 32));
        h = mix(h, (int) a.hi());
        h = mix(h, (int) (a.lo() >>> 32));
        return mix(h, (int) a.lo());
    }

    /** One word into the hash; {@link #emitMix} is its cBPF twin. */
    static int mix(int h, int word) {
        h = (h ^ word) * WORD_MULTIPLIER;
        return h ^ (h >>> 16);
    }

    /** The final mix; {@link #emitFinishAndReturn} is its cBPF twin. */
    static int finish(int h) {
        h *= FINAL_MULTIPLIER;
        return h ^ (h >>> 16);
    }

    /**
     * @return the classic BPF program for a fanout group of {@code queues} members, member {@code i} being shard
     * {@code i}'s queue: it returns {@link #shard} of the frame's flow, or {@link #DEFAULT_QUEUE}
     */
    static ClassicBpf.Program program(int queues) {
        if (queues < 1) {
            throw new IllegalArgumentException("need at least one queue");
        }
        Assembler a = new Assembler();
        Label v4 = new Label(), v6 = new Label();
        // M[hash] = 0 first: the kernel's checker refuses a read of scratch memory no path has written.
        a.ldImm(0).st(M_HASH);
        a.ldAbs(ClassicBpf.H, ClassicBpf.SKF_AD_OFF + ClassicBpf.SKF_AD_PROTOCOL);
        a.jmp(ClassicBpf.JEQ, ETH_IPV4, v4, null);
        a.jmp(ClassicBpf.JEQ, ETH_IPV6, v6, null);
        a.ret(DEFAULT_QUEUE);
        // Each block ends with its own "other" return: conditional jumps reach only 255 instructions ahead.

        // IPv4: source, destination, then the ports or, for a fragment, protocol << 16 | identification.
        Label v4Fragment = new Label(), v4Transport = new Label(), v4Other = new Label();
        a.bind(v4);
        a.ldAbs(ClassicBpf.W, 12);
        emitMix(a);
        a.ldAbs(ClassicBpf.W, 16);
        emitMix(a);
        a.ldAbs(ClassicBpf.H, 6).jmp(ClassicBpf.JSET, 0x3fff, v4Fragment, null); // more fragments, or an offset
        a.ldAbs(ClassicBpf.B, 9);
        a.jmp(ClassicBpf.JEQ, NativeStack.PROTO_TCP, v4Transport, null);
        a.jmp(ClassicBpf.JEQ, NativeStack.PROTO_UDP, v4Transport, v4Other);
        a.bind(v4Transport);
        a.ldxMsh(0).ldInd(ClassicBpf.W, 0);
        emitMix(a);
        emitFinishAndReturn(a, queues);
        a.bind(v4Fragment);
        a.ldAbs(ClassicBpf.B, 9).alu(ClassicBpf.LSH, 16).st(M_OFFSET);
        a.ldAbs(ClassicBpf.H, 4).ldxMem(M_OFFSET).aluX(ClassicBpf.OR);
        emitMix(a);
        emitFinishAndReturn(a, queues);
        a.bind(v4Other);
        a.ret(DEFAULT_QUEUE);

        // IPv6: source and destination (4 words each), then the chain of next headers, X the offset of the current.
        Label v6Transport = new Label(), v6Fragment = new Label(), v6Other = new Label();
        a.bind(v6);
        for (int i = 0; i < 8; i++) {
            a.ldAbs(ClassicBpf.W, 8 + 4 * i);
            emitMix(a);
        }
        a.ldxImm(40).ldAbs(ClassicBpf.B, 6);
        for (int i = 0; i <= IPV6_EXTENSION_HEADERS; i++) {
            a.jmp(ClassicBpf.JEQ, NativeStack.PROTO_TCP, v6Transport, null);
            a.jmp(ClassicBpf.JEQ, NativeStack.PROTO_UDP, v6Transport, null);
            if (i == IPV6_EXTENSION_HEADERS) {
                a.jmp(ClassicBpf.JEQ, 44, v6Fragment, v6Other); // a longer chain than we walk: not steered
                break;
            }
            Label extension = new Label();
            a.jmp(ClassicBpf.JEQ, 44, v6Fragment, null);
            a.jmp(ClassicBpf.JEQ, 0, extension, null);
            a.jmp(ClassicBpf.JEQ, 43, extension, null);
            a.jmp(ClassicBpf.JEQ, 60, extension, v6Other);
            a.bind(extension);
            // offset += (length + 1) * 8, and A = the header's next header, read at the old offset.
            a.ldInd(ClassicBpf.B, 1).alu(ClassicBpf.ADD, 1).alu(ClassicBpf.LSH, 3).aluX(ClassicBpf.ADD).st(M_OFFSET);
            a.ldInd(ClassicBpf.B, 0).ldxMem(M_OFFSET);
        }
        a.bind(v6Transport);
        a.ldInd(ClassicBpf.W, 0);
        emitMix(a);
        emitFinishAndReturn(a, queues);
        a.bind(v6Fragment);
        a.ldInd(ClassicBpf.W, 4); // the identification: the stack's (id & 0xffff, id >>> 16) port pair
        emitMix(a);
        emitFinishAndReturn(a, queues);
        a.bind(v6Other);
        a.ret(DEFAULT_QUEUE);
        return a.build();
    }

    /** A = M[hash] = mix(M[hash], A); X is lost. */
    private static void emitMix(Assembler a) {
        a.ldxMem(M_HASH).aluX(ClassicBpf.XOR).alu(ClassicBpf.MUL, WORD_MULTIPLIER)
                .tax().alu(ClassicBpf.RSH, 16).aluX(ClassicBpf.XOR).st(M_HASH);
    }

    /** Returns finish(A) mod queues. */
    private static void emitFinishAndReturn(Assembler a, int queues) {
        a.alu(ClassicBpf.MUL, FINAL_MULTIPLIER).tax().alu(ClassicBpf.RSH, 16).aluX(ClassicBpf.XOR);
        if (queues > 1) {
            a.alu(ClassicBpf.MOD, queues);
            a.retA();
        } else {
            a.ret(0);
        }
    }
}
