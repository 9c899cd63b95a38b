package io.percore.net.stack;

import io.percore.core.Future;
import io.percore.core.Poller;
import io.percore.core.Reactor;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.reactor.PollableFd;
import io.percore.reactor.Readiness;
import io.percore.sys.ClassicBpf;
import io.percore.sys.ErrnoException;
import io.percore.sys.Fd;
import io.percore.sys.PacketSocket;
import io.percore.sys.Tun;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An existing Ethernet interface (a veth end, a NIC) as a {@link NetDevice}, through AF_PACKET sockets with
 * memory-mapped rings: one socket per queue, all in one PACKET_FANOUT group, so each frame reaches one shard.
 *
 * <h2>Steering: the stack's hash, run by the kernel</h2>
 * By default the group is in CBPF mode: the kernel runs a classic BPF program of ours on every received frame, and
 * it returns the index of the queue whose shard owns the frame's flow — the stack's own flow hash
 * ({@link FlowSteering}), computed from the Ethernet type, the IPv4 or IPv6 addresses and the TCP or UDP ports.
 * Frames of established flows therefore arrive on their owner's queue and are not handed between shards; ARP,
 * ICMP and other frames go to queue 0 (the stack answers or shares them from any shard). Queue {@code i} is the
 * {@code i}-th socket to join the group, which is the kernel's member numbering. When the kernel refuses the
 * program or the mode, the device falls back to hash mode with a log line: the kernel's flow hash (randomly seeded,
 * not ours) spreads the flows, and a frame that lands on another shard than its owner is handed over once through
 * the cross-shard queues, as on any device that cannot steer by our hash. Either way IP fragments are reassembled
 * before the choice (PACKET_FANOUT_FLAG_DEFRAG), so they stay together.
 *
 * <h2>Receive: TPACKET_V3 blocks</h2>
 * Each socket has a receive ring of blocks; the kernel fills a block with frames and hands it over when it is full
 * or its retire timer ({@link #RETIRE_MILLIS}, rounded up to a kernel tick) expires, so one readiness wake-up and no
 * system call per frame carry a whole batch. A frame is copied once from the block into a 256 KiB receive area of the
 * shard's pool (the same single copy a TAP {@code read} makes) and the block goes back to the kernel at once: the
 * ring can then never be held hostage by payload an application has not read yet, which is what would happen if
 * frames were views of the ring. The price of blocks is latency at low rates: a lone frame waits for the retire timer
 * (1 ms, a 4 ms tick at HZ=250), which request/response traffic feels and bulk traffic does not.
 *
 * <h2>Transmit: a ring too</h2>
 * Frames are copied into slots of a transmit ring (V3 rings are frame-based on transmit) and the kernel is asked to
 * send all requested slots once per reactor turn, from a poller, or at once when half the ring is waiting: one system
 * call per batch instead of one {@code writev} per frame. With PACKET_QDISC_BYPASS the frames skip the qdisc layer
 * (no traffic shaping applies, which a dedicated interface does not need).
 *
 * <h2>Offloads: the virtio-net header</h2>
 * With PACKET_VNET_HDR (the default of {@link NativeNetwork#openPacket}) every frame carries a virtio-net header, as
 * on a TAP: the device offers {@link DeviceQueue#TX_CHECKSUM} (the kernel or the NIC completes checksums), and
 * received frames say when their checksum is partial or verified, so the stack checks neither. Segmentation offload
 * is not offered: large TCP segments written with a virtio-net header through {@code sendmsg} on a socket bound to
 * ETH_P_ALL left the veth in our tests (Linux 6.18) without error and never arrived, so every frame is at most the MTU
 * and goes through the ring. Without the header the device offers nothing and the stack computes every checksum.
 * Either way the kernel may hand us large TCP segments (GRO on a NIC, GSO across a veth), which the stack accepts.
 *
 * <h2>Addresses</h2>
 * By default the stack takes the interface's own MAC ({@link #macAddress()}). The kernel sees every frame too, so the
 * interface should carry no IP address and no IPv6 (it would answer neighbour discovery for the same link-local
 * address); with another MAC the device puts the interface into promiscuous mode for as long as it is open.
 *
 * <p>{@link #open} runs off-shard (it may enter a network namespace on a helper thread); each queue then belongs to
 * one shard. An AF_XDP device would have the same shape: one socket and ring pair per queue.
 */
public final class PacketDevice implements NetDevice {
    /** Receive block size: a multiple of the page size that holds the largest (64 KiB GSO) frame. */
    public static final int BLOCK_SIZE = 128 << 10;
    /**
     * Receive blocks per queue (16 MiB of kernel memory). The retire timer closes a block with whatever it holds, so a
     * shard that gets no CPU for a while can face one block per frame in flight: with 32 blocks a loaded 2-core machine
     * froze the ring and dropped frames during a transfer; with 128 it did not.
     */
    public static final int BLOCK_COUNT = 128;
    /** Retire timer of a partly filled block. */
    public static final int RETIRE_MILLIS = 1;
    /** Transmit slot size: header plus a 1514-byte frame, rounded to 2 KiB. */
    public static final int TX_FRAME_SIZE = 2048;
    /** Transmit slots per queue. */
    public static final int TX_FRAME_COUNT = 1024;
    private static final int AREA_SIZE = 256 << 10;
    private static final AtomicInteger GROUPS = new AtomicInteger();
    private static final Logger LOG = LoggerFactory.getLogger(PacketDevice.class);

    private final String name;
    private final int mtu;
    private final byte[] mac;
    private final boolean promiscuous;
    private final boolean vnet;
    private final boolean steersByFlow;
    private final PacketQueue[] queues;

    private PacketDevice(String name, int mtu, byte[] mac, boolean promiscuous, boolean vnet, boolean steersByFlow,
                         PacketSocket.Opened[] sockets) {
        this.name = name;
        this.steersByFlow = steersByFlow;
        this.vnet = vnet;
        this.mtu = mtu;
        this.mac = mac;
        this.promiscuous = promiscuous;
        this.queues = new PacketQueue[sockets.length];
        for (int i = 0; i < sockets.length; i++) {
            queues[i] = new PacketQueue(sockets[i]);
        }
    }

    /**
     * Opens {@code queueCount} AF_PACKET sockets with rings on interface {@code ifname} (which must exist and be
     * up) of the network namespace at {@code namespacePath} (null: the caller's), joined in one fanout group when
     * there is more than one. Off-shard.
     *
     * @param stackMac   the MAC the stack will use, or null for the interface's; another than the interface's puts
     *                   the interface into promiscuous mode while the device is open
     * @param vnetHeader frames carry a virtio-net header: checksum and segmentation offload
     * @throws io.percore.sys.ErrnoException e.g. EPERM without CAP_NET_RAW, ENODEV for an unknown interface
     */
    public static PacketDevice open(String ifname, int queueCount, byte[] stackMac, boolean vnetHeader, String namespacePath) {
        return open(ifname, queueCount, stackMac, vnetHeader, true, namespacePath);
    }

    /**
     * Like {@link #open(String, int, byte[], boolean, String)}, choosing how the fanout group spreads frames.
     *
     * @param steerByFlow the kernel runs the stack's flow hash ({@link FlowSteering}) to pick each frame's queue,
     *                    falling back to the kernel's hash (logged) when it refuses; false: the kernel's hash from
     *                    the start (the comparison case of tests and benchmarks). The network must then use
     *                    {@code queueCount} shards, queue {@code i} on shard {@code i}, as
     *                    {@link NativeNetwork#openPacket} arranges.
     */
    public static PacketDevice open(String ifname, int queueCount, byte[] stackMac, boolean vnetHeader,
                                    boolean steerByFlow, String namespacePath) {
        if (queueCount < 1) {
            throw new IllegalArgumentException("a packet device needs at least one queue");
        }
        return open(ifname, queueCount, stackMac, vnetHeader,
                queueCount > 1 && steerByFlow ? FlowSteering.program(queueCount) : null, namespacePath);
    }

    /** Opens with fanout program {@code steering} (null: the kernel's hash); tests give one the kernel refuses. */
    static PacketDevice open(String ifname, int queueCount, byte[] stackMac, boolean vnetHeader,
                             ClassicBpf.Program steering, String namespacePath) {
        if (queueCount < 1) {
            throw new IllegalArgumentException("a packet device needs at least one queue");
        }
        if (stackMac != null && stackMac.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes");
        }
        PacketSocket.RingSpec spec = new PacketSocket.RingSpec(BLOCK_SIZE, BLOCK_COUNT, RETIRE_MILLIS, TX_FRAME_SIZE,
                TX_FRAME_COUNT);
        return Tun.inNamespace(namespacePath, () -> {
            byte[] ifMac = Tun.hardwareAddress(ifname);
            byte[] mac = stackMac == null ? ifMac : stackMac.clone();
            boolean promisc = !Arrays.equals(mac, ifMac);
            PacketSocket.Opened[] opened = new PacketSocket.Opened[queueCount];
            int group = newGroup(queueCount);
            ClassicBpf.Program program = queueCount > 1 ? steering : null;
            int n = 0;
            try {
                if (program != null) {
                    // The first member makes the group and gives it the program; the others join in its mode.
                    opened[0] = PacketSocket.open(ifname, spec, true, vnetHeader, -1);
                    n = 1;
                    try {
                        PacketSocket.joinFanout(opened[0].fd(), group, program);
                    } catch (ErrnoException e) {
                        LOG.warn("af_packet {}: the kernel refused fanout by the stack's flow hash ({}); using its own hash,"
                                + " frames of a flow may land on another shard and be handed over", ifname, e.getMessage());
                        program = null;
                        // The socket may sit in the refused group: only closing leaves it. Start again in a fresh one.
                        PacketSocket.unmap(opened[0].ring());
                        Fd.close(opened[0].fd());
                        n = 0;
                        group = newGroup(queueCount);
                    }
                }
                for (; n < queueCount; n++) {
                    opened[n] = PacketSocket.open(ifname, spec, true, vnetHeader, group, program);
                }
                if (promisc) {
                    PacketSocket.addPromiscuous(opened[0].fd(), opened[0].ifindex());
                }
                int mtu = PacketSocket.mtu(opened[0].fd(), ifname);
                int room = TX_FRAME_SIZE - PacketSocket.TX_DATA_OFFSET - 14 - (vnetHeader ? Tun.VNET_HDR_SIZE : 0);
                return new PacketDevice(ifname, Math.min(mtu, room), mac, promisc, vnetHeader, program != null, opened);
            } catch (RuntimeException e) {
                for (int i = 0; i < n; i++) {
                    PacketSocket.unmap(opened[i].ring());
                    Fd.close(opened[i].fd());
                }
                throw e;
            }
        });
    }

    /** @return a fanout group id: per network namespace, so pid and a counter keep ours apart; -1 for one queue. */
    private static int newGroup(int queueCount) {
        return queueCount > 1 ? (int) ((ProcessHandle.current().pid() * 64 + GROUPS.incrementAndGet()) & 0xffff) : -1;
    }

    /**
     * @return true when the kernel steers each frame to its flow owner's queue by the stack's hash (CBPF fanout);
     * false with one queue, or on the kernel's own hash. Any thread.
     */
    public boolean steersByFlow() {
        return steersByFlow;
    }

    /** @return the MAC address the stack should use on this device (6 bytes, a copy). Any thread. */
    public byte[] macAddress() {
        return mac.clone();
    }

    /** @return the interface name. */
    public String name() {
        return name;
    }

    @Override
    public int queueCount() {
        return queues.length;
    }

    @Override
    public DeviceQueue queue(int index) {
        return queues[index];
    }

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public int offloads() {
        return vnet ? DeviceQueue.TX_CHECKSUM : 0;
    }

    @Override
    public String describe() {
        return "af_packet " + name + " (" + queues.length + " queues" + (queues.length > 1 ? (steersByFlow ? ", fanout by flow owner (cbpf)" : ", fanout hash") : "")
                + (vnet ? ", vnet" : "") + (promiscuous ? ", promiscuous" : "") + ")";
    }

    /** @return frames queue {@code index} received from its ring. On the queue's shard. */
    public long framesReceived(int index) {
        return queues[index].received;
    }

    /** @return frames queue {@code index} skipped (our own, truncated, VLAN-tagged). On the queue's shard. */
    public long framesSkipped(int index) {
        return queues[index].skipped;
    }

    /**
     * @return the kernel's counters summed over the queues since the previous call: {packets, dropped for lack of
     * ring room, ring freezes}. Any thread.
     */
    public long[] kernelStatistics() {
        long[] sum = new long[3];
        for (PacketQueue q : queues) {
            long[] s = PacketSocket.statistics(q.fd);
            for (int i = 0; i < 3; i++) {
                sum[i] += s[i];
            }
        }
        return sum;
    }

    @Override
    public void close() {
        for (PacketQueue q : queues) {
            q.close();
        }
    }

    private final class PacketQueue implements DeviceQueue {
        private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private final int fd;
        private final MemorySegment ring;
        private final long txBase;
        private final int maxFrame;
        private PollableFd pollable;
        private Reactor reactor;
        private boolean pollerAdded;
        private boolean detached;
        private boolean closed;
        /** Next receive block to look at, and the walk through it when it is ours. */
        private int block;
        private boolean inBlock;
        private int packetsLeft;
        private long packetOffset;
        private Buffer area;
        private int areaOffset;
        private int txSlot;
        private int txPending;
        private long transmitDrops;
        long received;
        long skipped;

        PacketQueue(PacketSocket.Opened socket) {
            this.fd = socket.fd();
            this.ring = socket.ring();
            this.txBase = (long) BLOCK_SIZE * BLOCK_COUNT;
            this.maxFrame = BLOCK_SIZE; // the kernel never puts more in one block
        }

        private long blockBase() {
            return (long) block * BLOCK_SIZE;
        }

        private boolean blockReady() {
            return inBlock || ((int) PacketSocket.STATUS.getAcquire(ring, blockBase() + PacketSocket.BLOCK_STATUS)
                    & PacketSocket.TP_STATUS_USER) != 0;
        }

        @Override
        public int receive(FrameSink sink, int max) {
            ensurePoller();
            int n = 0;
            while (n < max) {
                long base = blockBase();
                if (!inBlock) {
                    if (!blockReady()) {
                        break;
                    }
                    inBlock = true;
                    packetsLeft = ring.get(ValueLayout.JAVA_INT, base + PacketSocket.BLOCK_NUM_PKTS);
                    packetOffset = base + ring.get(ValueLayout.JAVA_INT, base + PacketSocket.BLOCK_FIRST_PKT);
                }
                while (packetsLeft > 0 && n < max) {
                    long p = packetOffset;
                    packetsLeft--;
                    if (p < base || p + 64 > base + BLOCK_SIZE) {
                        packetsLeft = 0; // a walk that leaves the block: give the block back rather than read on
                        skipped++;
                        break;
                    }
                    packetOffset = p + ring.get(ValueLayout.JAVA_INT, p + PacketSocket.PKT_NEXT_OFFSET);
                    if (deliver(sink, p, base)) {
                        n++;
                    }
                }
                if (packetsLeft == 0) {
                    PacketSocket.STATUS.setRelease(ring, base + PacketSocket.BLOCK_STATUS, PacketSocket.TP_STATUS_KERNEL);
                    block = (block + 1) % BLOCK_COUNT;
                    inBlock = false;
                }
            }
            return n;
        }

        /** Copies the packet at {@code p} into the receive area and hands it on; false when it is skipped. */
        private boolean deliver(FrameSink sink, long p, long base) {
            int snap = ring.get(ValueLayout.JAVA_INT, p + PacketSocket.PKT_SNAPLEN);
            int len = ring.get(ValueLayout.JAVA_INT, p + PacketSocket.PKT_LEN);
            int status = ring.get(ValueLayout.JAVA_INT, p + PacketSocket.PKT_STATUS);
            int macOff = ring.get(ValueLayout.JAVA_SHORT, p + PacketSocket.PKT_MAC) & 0xffff;
            int type = ring.get(ValueLayout.JAVA_BYTE, p + PacketSocket.PKT_PKTTYPE) & 0xff;
            // Our own frames come back on outgoing taps; a truncated frame or one whose VLAN tag the kernel stripped
            // would be misread.
            if (type == PacketSocket.PACKET_OUTGOING || snap != len || snap <= 0 || snap > maxFrame
                    || (status & PacketSocket.TP_STATUS_VLAN_VALID) != 0 || p + macOff + snap > base + BLOCK_SIZE) {
                skipped++;
                return false;
            }
            if (area == null || AREA_SIZE - areaOffset < snap) {
                if (area != null) {
                    area.release();
                }
                area = Buffer.allocate(AREA_SIZE);
                areaOffset = 0;
            }
            MemorySegment.copy(ring, p + macOff, area.segment(), areaOffset, snap);
            Buffer frame = area.share(areaOffset, snap);
            areaOffset += (snap + 63) & ~63;
            received++;
            int flags = (status & (PacketSocket.TP_STATUS_CSUMNOTREADY | PacketSocket.TP_STATUS_CSUM_VALID)) != 0
                    ? RX_CHECKSUM_OK : 0;
            if (vnet && macOff >= Tun.VNET_HDR_SIZE
                    && (ring.get(ValueLayout.JAVA_BYTE, p + macOff - Tun.VNET_HDR_SIZE) & (Tun.VNET_F_NEEDS_CSUM | Tun.VNET_F_DATA_VALID)) != 0) {
                flags = RX_CHECKSUM_OK;
            }
            sink.frame(frame, flags);
            return true;
        }

        @Override
        public Future<Void> whenReadable() {
            if (blockReady()) {
                return Future.done();
            }
            if (pollable == null) {
                reactor = Reactor.current();
                pollable = new PollableFd(fd);
            }
            return reactor.backend().pollReady(pollable, Readiness.IN).map(bits -> null);
        }

        @Override
        public void transmit(Packet frame, TxOffload offload) {
            try {
                ensurePoller();
                long len = frame.length();
                int header = vnet ? Tun.VNET_HDR_SIZE : 0;
                if (detached || (!vnet && offload.needsChecksum())) {
                    transmitDrops++; // without the header no offloads are offered, so the stack never asks for them
                    return;
                }
                if (len > TX_FRAME_SIZE - PacketSocket.TX_DATA_OFFSET - header || offload.gsoSize() > 0) {
                    transmitDrops++; // the MTU fits a slot and no segmentation is offered: the stack sends neither
                    return;
                }
                long slot = txBase + (long) txSlot * TX_FRAME_SIZE;
                if (!slotFree(slot)) {
                    flush();
                    if (!slotFree(slot)) {
                        transmitDrops++; // the ring is full: dropped, as a NIC with a full queue would
                        return;
                    }
                }
                long at = slot + PacketSocket.TX_DATA_OFFSET;
                if (vnet) {
                    putVnetHeader(ring.asSlice(at, Tun.VNET_HDR_SIZE), offload);
                    at += Tun.VNET_HDR_SIZE;
                }
                for (int i = 0; i < frame.fragmentCount(); i++) {
                    MemorySegment f = frame.fragment(i).segment();
                    MemorySegment.copy(f, 0, ring, at, f.byteSize());
                    at += f.byteSize();
                }
                ring.set(ValueLayout.JAVA_INT, slot + PacketSocket.PKT_NEXT_OFFSET, 0);
                ring.set(ValueLayout.JAVA_INT, slot + PacketSocket.PKT_SNAPLEN, (int) len + header);
                ring.set(ValueLayout.JAVA_INT, slot + PacketSocket.PKT_LEN, (int) len + header);
                PacketSocket.STATUS.setRelease(ring, slot + PacketSocket.PKT_STATUS, PacketSocket.TP_STATUS_SEND_REQUEST);
                txSlot = (txSlot + 1) % TX_FRAME_COUNT;
                if (++txPending >= TX_FRAME_COUNT / 2) {
                    flush();
                }
            } finally {
                frame.release();
            }
        }

        /** Writes the virtio-net header for {@code offload} (little-endian, as the kernel reads it). */
        private static void putVnetHeader(MemorySegment h, TxOffload offload) {
            h.fill((byte) 0);
            if (offload.needsChecksum()) {
                h.set(ValueLayout.JAVA_BYTE, 0, (byte) Tun.VNET_F_NEEDS_CSUM);
                h.set(LE_SHORT, 6, (short) offload.checksumStart());
                h.set(LE_SHORT, 8, (short) offload.checksumOffset());
            }
            if (offload.gsoSize() > 0) {
                h.set(ValueLayout.JAVA_BYTE, 1, (byte) offload.gsoType());
                h.set(LE_SHORT, 2, (short) offload.headerLength());
                h.set(LE_SHORT, 4, (short) offload.gsoSize());
            }
        }

        private boolean slotFree(long slot) {
            int st = (int) PacketSocket.STATUS.getAcquire(ring, slot + PacketSocket.PKT_STATUS);
            return st == PacketSocket.TP_STATUS_AVAILABLE || st == PacketSocket.TP_STATUS_WRONG_FORMAT;
        }

        /** Asks the kernel to send the requested slots; they stay requested when its queue is full. */
        private void flush() {
            if (txPending == 0 || detached) {
                return;
            }
            try {
                if (PacketSocket.kick(fd) >= 0) {
                    txPending = 0;
                }
            } catch (RuntimeException e) {
                // ENETDOWN while the interface is down: the frames are lost, as on a NIC; TCP recovers.
                transmitDrops += txPending;
                txPending = 0;
            }
        }

        private void ensurePoller() {
            if (pollerAdded) {
                return;
            }
            pollerAdded = true;
            Reactor.current().addPoller(new Poller() {
                @Override
                public boolean poll() {
                    flush();
                    return false;
                }

                @Override
                public boolean tryEnterIdle() {
                    flush();
                    return true;
                }
            });
        }

        @Override
        public long transmitDrops() {
            return transmitDrops;
        }

        @Override
        public void detach() {
            flush();
            detached = true;
            if (pollable != null) {
                reactor.backend().forget(pollable);
                pollable = null;
            }
            if (area != null) {
                area.release();
                area = null;
            }
        }

        void close() {
            if (closed) {
                return;
            }
            closed = true;
            // Closing first: the kernel stops using the ring before it is unmapped.
            Fd.close(fd);
            PacketSocket.unmap(ring);
        }
    }
}
