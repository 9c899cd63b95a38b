package io.percore.net.stack;

import io.percore.core.Future;
import io.percore.core.Reactor;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.reactor.PollableFd;
import io.percore.reactor.Readiness;
import io.percore.sys.Fd;
import io.percore.sys.Tun;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A Linux TAP interface as a {@link NetDevice}: one descriptor per queue (IFF_MULTI_QUEUE), so the kernel spreads
 * flows over shards and, after a shard has sent on a flow, steers that flow's frames back to the same queue (the
 * tun driver's automatic flow steering). With a virtio-net header (IFF_VNET_HDR) the stack leaves checksums and TCP
 * segmentation to the kernel and accepts partial checksums and large segments from it, which is what makes a TAP
 * fast enough to be interesting.
 *
 * <p>Frames are read into 256 KiB receive areas from the shard's pool, one after another; each frame is a view of
 * its area, so payload reaches the application without a copy, and an area returns to the pool when its last
 * frame is released.
 *
 * <p>{@link #open} runs off-shard (it may enter a network namespace on a helper thread); each queue then belongs to
 * one shard.
 */
public final class TapDevice implements NetDevice {
    private static final int AREA_SIZE = 256 << 10;
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String name;
    private final int mtu;
    private final boolean vnet;
    private final boolean largeReceive;
    private final TapQueue[] queues;

    private TapDevice(String name, int mtu, boolean vnet, boolean largeReceive, int[] fds) {
        this.name = name;
        this.mtu = mtu;
        this.vnet = vnet;
        this.largeReceive = largeReceive;
        this.queues = new TapQueue[fds.length];
        for (int i = 0; i < fds.length; i++) {
            queues[i] = new TapQueue(fds[i]);
        }
    }

    /**
     * Opens (creating when absent) TAP interface {@code name} with {@code queueCount} queues, a virtio-net header
     * when {@code vnetHeader}, brings it up with {@code mtu}, all inside the network namespace at
     * {@code namespacePath} (null: the caller's). Off-shard.
     *
     * @param largeReceive also accept TCP segments of up to 64 KiB from the kernel (TSO4/TSO6; needs vnetHeader)
     * @throws io.percore.sys.ErrnoException e.g. EPERM without CAP_NET_ADMIN
     */
    public static TapDevice open(String name, int queueCount, int mtu, boolean vnetHeader, boolean largeReceive,
                                 String namespacePath) {
        if (queueCount < 1) {
            throw new IllegalArgumentException("a TAP device needs at least one queue");
        }
        if (largeReceive && !vnetHeader) {
            throw new IllegalArgumentException("large receive needs the virtio-net header");
        }
        int flags = Tun.IFF_TAP | Tun.IFF_NO_PI | Tun.IFF_MULTI_QUEUE | (vnetHeader ? Tun.IFF_VNET_HDR : 0);
        int[] fds = Tun.inNamespace(namespacePath, () -> {
            int[] opened = new int[queueCount];
            int n = 0;
            try {
                for (; n < queueCount; n++) {
                    opened[n] = Tun.openTap(name, flags);
                    if (vnetHeader) {
                        Tun.setOffload(opened[n], Tun.TUN_F_CSUM | (largeReceive ? Tun.TUN_F_TSO4 | Tun.TUN_F_TSO6 : 0));
                    }
                }
                Tun.setUp(name, mtu);
                return opened;
            } catch (RuntimeException e) {
                for (int i = 0; i < n; i++) {
                    Fd.close(opened[i]);
                }
                throw e;
            }
        });
        return new TapDevice(name, mtu, vnetHeader, largeReceive, fds);
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
        return vnet ? DeviceQueue.TX_CHECKSUM | DeviceQueue.TX_TSO : 0;
    }

    @Override
    public String describe() {
        return "tap " + name + " (" + queues.length + " queues" + (vnet ? ", vnet" : "") + (largeReceive ? ", large receive" : "") + ")";
    }

    /** @return the interface name. */
    public String name() {
        return name;
    }

    @Override
    public void close() {
        for (TapQueue q : queues) {
            q.close();
        }
    }

    private final class TapQueue implements DeviceQueue {
        private static final int MAX_IOV = 64;
        private final int fd;
        private final int maxRead;
        /** iovecs and the outgoing virtio-net header; one queue is used by one shard, so one area suffices. */
        private final Arena arena = Arena.ofShared();
        private final MemorySegment iov = arena.allocate((long) MAX_IOV * Tun.IOVEC_SIZE, 8);
        private final MemorySegment txHeader = arena.allocate(Tun.VNET_HDR_SIZE, 8);
        private PollableFd pollable;
        private Reactor reactor;
        private Buffer area;
        private int areaOffset;
        private boolean readable = true;
        private long transmitDrops;

        TapQueue(int fd) {
            this.fd = fd;
            int frame = largeReceive ? 65535 + 14 + 4 : mtu + 14 + 4;
            this.maxRead = frame + (vnet ? Tun.VNET_HDR_SIZE : 0);
        }

        @Override
        public int receive(FrameSink sink, int max) {
            int n = 0;
            while (n < max) {
                if (area == null || AREA_SIZE - areaOffset < maxRead) {
                    if (area != null) {
                        area.release();
                    }
                    area = Buffer.allocate(AREA_SIZE);
                    areaOffset = 0;
                }
                MemorySegment target = area.segment().asSlice(areaOffset, maxRead);
                long got = Fd.read(fd, target, maxRead);
                if (got <= 0) {
                    readable = false;
                    break;
                }
                int len = (int) got;
                int flags = 0;
                int skip = 0;
                if (vnet) {
                    if (len < Tun.VNET_HDR_SIZE) {
                        continue;
                    }
                    int vflags = target.get(ValueLayout.JAVA_BYTE, 0);
                    if ((vflags & (Tun.VNET_F_NEEDS_CSUM | Tun.VNET_F_DATA_VALID)) != 0) {
                        flags |= RX_CHECKSUM_OK;
                    }
                    skip = Tun.VNET_HDR_SIZE;
                }
                Buffer frame = area.share(areaOffset + skip, len - skip);
                areaOffset += (len + 63) & ~63;
                n++;
                sink.frame(frame, flags);
            }
            return n;
        }

        @Override
        public Future<Void> whenReadable() {
            if (readable) {
                return Future.done();
            }
            if (pollable == null) {
                reactor = Reactor.current();
                pollable = new PollableFd(fd);
            }
            return reactor.backend().pollReady(pollable, Readiness.IN).map(bits -> {
                readable = true;
                return null;
            });
        }

        @Override
        public void transmit(Packet frame, TxOffload offload) {
            try {
                if (frame.fragmentCount() + 1 > MAX_IOV) {
                    frame.linearize().release();
                }
                int count = 0;
                if (vnet) {
                    txHeader.fill((byte) 0);
                    if (offload.needsChecksum()) {
                        txHeader.set(ValueLayout.JAVA_BYTE, 0, (byte) Tun.VNET_F_NEEDS_CSUM);
                        txHeader.set(LE_SHORT, 6, (short) offload.checksumStart());
                        txHeader.set(LE_SHORT, 8, (short) offload.checksumOffset());
                    }
                    if (offload.gsoSize() > 0) {
                        txHeader.set(ValueLayout.JAVA_BYTE, 1, (byte) offload.gsoType());
                        txHeader.set(LE_SHORT, 2, (short) offload.headerLength());
                        txHeader.set(LE_SHORT, 4, (short) offload.gsoSize());
                    }
                    putIov(count++, txHeader);
                }
                for (int i = 0; i < frame.fragmentCount(); i++) {
                    putIov(count++, frame.fragment(i).segment());
                }
                if (Tun.writev(fd, iov, count) < 0) {
                    transmitDrops++;
                }
            } catch (RuntimeException e) {
                // EIO while the interface is down, EINVAL for a frame the kernel refuses: a lost frame, not a crash.
                transmitDrops++;
            } finally {
                frame.release();
            }
        }

        private void putIov(int index, MemorySegment segment) {
            iov.set(ValueLayout.JAVA_LONG, (long) index * Tun.IOVEC_SIZE, segment.address());
            iov.set(ValueLayout.JAVA_LONG, (long) index * Tun.IOVEC_SIZE + 8, segment.byteSize());
        }

        @Override
        public long transmitDrops() {
            return transmitDrops;
        }

        @Override
        public void detach() {
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
            Fd.close(fd);
            // The arena holds only iovecs and a header; frames in flight use pool memory, so it can go now.
            arena.close();
        }
    }
}
