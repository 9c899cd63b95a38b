package io.percore.net.stack;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Two {@link NetDevice}s joined by an in-memory wire, for tests and examples: a frame sent on queue {@code i} of one
 * side arrives on queue {@code i} of the other (so frames reach "the wrong shard" as often as a non-steering NIC
 * would make them, and the stack's software hand-off is exercised). Frames are copied across, as on a real wire.
 * Queues may be used from different shards; the wire between them is a lock-free queue (this is a test device,
 * and the frames cross threads).
 */
public final class MemoryDevicePair {
    private final Side left;
    private final Side right;

    private MemoryDevicePair(int queues, int mtu) {
        left = new Side("left", queues, mtu);
        right = new Side("right", queues, mtu);
        for (int i = 0; i < queues; i++) {
            left.queues[i].peer = right.queues[i];
            right.queues[i].peer = left.queues[i];
        }
    }

    /** @return a pair with {@code queues} queues per side and the given MTU. Any thread. */
    public static MemoryDevicePair create(int queues, int mtu) {
        if (queues < 1 || mtu < 576) {
            throw new IllegalArgumentException("need at least one queue and an MTU of at least 576");
        }
        return new MemoryDevicePair(queues, mtu);
    }

    /** @return one end. */
    public NetDevice left() {
        return left;
    }

    /** @return the other end. */
    public NetDevice right() {
        return right;
    }

    private static final class Side implements NetDevice {
        final String name;
        final WireQueue[] queues;
        final int mtu;

        Side(String name, int n, int mtu) {
            this.name = name;
            this.mtu = mtu;
            queues = new WireQueue[n];
            for (int i = 0; i < n; i++) {
                queues[i] = new WireQueue(mtu);
            }
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
            return 0;
        }

        @Override
        public String describe() {
            return "memory wire " + name + " (" + queues.length + " queues)";
        }

        @Override
        public void close() {
            for (WireQueue q : queues) {
                q.inbox.clear();
            }
        }
    }

    private static final class WireQueue implements DeviceQueue {
        final ConcurrentLinkedQueue<byte[]> inbox = new ConcurrentLinkedQueue<>();
        final AtomicBoolean armed = new AtomicBoolean();
        final int maxFrame;
        volatile Reactor owner;
        Promise<Void> waiter;
        WireQueue peer;
        long drops;

        WireQueue(int mtu) {
            maxFrame = mtu + 14;
        }

        @Override
        public int receive(FrameSink sink, int max) {
            int n = 0;
            byte[] f;
            while (n < max && (f = inbox.poll()) != null) {
                n++;
                sink.frame(Buffer.copyOf(f), 0);
            }
            return n;
        }

        @Override
        public Future<Void> whenReadable() {
            if (!inbox.isEmpty()) {
                return Future.done();
            }
            owner = Reactor.current();
            Promise<Void> p = new Promise<>();
            waiter = p;
            armed.set(true);
            if (!inbox.isEmpty() && armed.compareAndSet(true, false)) {
                waiter = null;
                return Future.done();
            }
            return p;
        }

        @Override
        public void transmit(Packet frame, TxOffload offload) {
            try {
                if (frame.length() > maxFrame) {
                    drops++;
                    return;
                }
                byte[] bytes = new byte[(int) frame.length()];
                int pos = 0;
                for (int i = 0; i < frame.fragmentCount(); i++) {
                    MemorySegment s = frame.fragment(i).segment();
                    MemorySegment.copy(s, ValueLayout.JAVA_BYTE, 0, bytes, pos, (int) s.byteSize());
                    pos += (int) s.byteSize();
                }
                peer.deliver(bytes);
            } finally {
                frame.release();
            }
        }

        void deliver(byte[] bytes) {
            inbox.add(bytes);
            if (armed.compareAndSet(true, false)) {
                Reactor r = owner;
                r.execute(() -> {
                    Promise<Void> p = waiter;
                    waiter = null;
                    if (p != null) {
                        p.setValue(null);
                    }
                });
            }
        }

        @Override
        public long transmitDrops() {
            return drops;
        }
    }
}
