package io.percore.net.stack;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Timer;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import java.util.ArrayDeque;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Wraps a {@link NetDevice} and misbehaves on purpose, in both directions, as {@link FaultConfig} says: drops,
 * duplicates, reorders, delays and corrupts frames. The native stack's tests run transfers through it; users can
 * wrap their own devices the same way to test their applications against a bad network. Each queue keeps its own
 * seeded generator and counters and, like the queue it wraps, belongs to one shard.
 */
public final class FaultInjectingDevice implements NetDevice {
    private final NetDevice inner;
    private final FaultConfig config;
    private final FaultyQueue[] queues;

    /** Wraps {@code inner}; the wrapper owns it from now on (closing the wrapper closes it). Any thread. */
    public FaultInjectingDevice(NetDevice inner, FaultConfig config) {
        this.inner = inner;
        this.config = config;
        this.queues = new FaultyQueue[inner.queueCount()];
        for (int i = 0; i < queues.length; i++) {
            queues[i] = new FaultyQueue(inner.queue(i), i);
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
        return inner.mtu();
    }

    @Override
    public int offloads() {
        return inner.offloads();
    }

    @Override
    public String describe() {
        return "faults " + config + " over " + inner.describe();
    }

    @Override
    public void close() {
        inner.close();
    }

    /** @return frames dropped by queue {@code index} so far (both directions). Owning shard of that queue. */
    public long dropped(int index) {
        return queues[index].dropped;
    }

    /** @return frames duplicated by queue {@code index} so far. Owning shard of that queue. */
    public long duplicated(int index) {
        return queues[index].duplicated;
    }

    /** @return frames corrupted by queue {@code index} so far. Owning shard of that queue. */
    public long corrupted(int index) {
        return queues[index].corrupted;
    }

    /** @return frames held back (delayed or reordered) by queue {@code index} so far. Owning shard of that queue. */
    public long delayed(int index) {
        return queues[index].delayed;
    }

    private record Held(long due, long order, Buffer rx, int flags, Packet tx, TxOffload offload) {}

    private final class FaultyQueue implements DeviceQueue {
        private final DeviceQueue q;
        private final SplittableRandom random;
        private final PriorityQueue<Held> rxHeld = new PriorityQueue<>(FaultyQueue::compare);
        private final PriorityQueue<Held> txHeld = new PriorityQueue<>(FaultyQueue::compare);
        private final ArrayDeque<Held> rxReady = new ArrayDeque<>();
        /** Created on the owning shard at first use (a Timer belongs to the shard that makes it). */
        private Timer rxTimer, txTimer;
        private Promise<Void> rxWaiter;
        private long order;
        long dropped, duplicated, corrupted, delayed;

        FaultyQueue(DeviceQueue q, int index) {
            this.q = q;
            this.random = new SplittableRandom(config.seed() * 1_000_003L + index);
        }

        private Timer rxTimer() {
            if (rxTimer == null) {
                rxTimer = new Timer(this::rxDue);
            }
            return rxTimer;
        }

        private Timer txTimer() {
            if (txTimer == null) {
                txTimer = new Timer(this::txDue);
            }
            return txTimer;
        }

        private static int compare(Held a, Held b) {
            int c = Long.compare(a.due, b.due);
            return c != 0 ? c : Long.compare(a.order, b.order);
        }

        /** @return 0 for a straight pass, or the nanoseconds to hold the frame back; -1 to drop. */
        private long decide() {
            if (random.nextDouble() < config.dropRate()) {
                dropped++;
                return -1;
            }
            if (random.nextDouble() < config.reorderRate()) {
                delayed++;
                return 1_000_000L + random.nextLong(4_000_000L);
            }
            if (config.delayRate() > 0 && random.nextDouble() < config.delayRate()) {
                delayed++;
                return 1 + random.nextLong(Math.max(1, config.maxDelay().toNanos()));
            }
            return 0;
        }

        private void corrupt(Buffer b) {
            if (b.length() > 0) {
                int i = random.nextInt(b.length());
                b.put(i, (byte) (b.get(i) ^ (1 << random.nextInt(8))));
                corrupted++;
            }
        }

        @Override
        public int receive(FrameSink sink, int max) {
            moveDueRx();
            q.receive((frame, flags) -> {
                long hold = decide();
                if (hold < 0) {
                    frame.release();
                    return;
                }
                int f = flags;
                if (random.nextDouble() < config.corruptRate()) {
                    corrupt(frame);
                    f = 0; // a corrupted frame must be caught by the stack's own verification
                }
                if (random.nextDouble() < config.duplicateRate()) {
                    duplicated++;
                    rxReady.add(new Held(0, 0, Buffer.copyOf(frame.toArray()), f, null, null));
                }
                if (hold > 0) {
                    rxHeld.add(new Held(System.nanoTime() + hold, order++, frame, f, null, null));
                    rxTimer().armAt(rxHeld.peek().due);
                } else {
                    rxReady.add(new Held(0, 0, frame, f, null, null));
                }
            }, max);
            int n = 0;
            Held h;
            while (n < max && (h = rxReady.poll()) != null) {
                n++;
                sink.frame(h.rx, h.flags);
            }
            return n;
        }

        private void moveDueRx() {
            long now = System.nanoTime();
            while (!rxHeld.isEmpty() && rxHeld.peek().due <= now) {
                rxReady.add(rxHeld.poll());
            }
        }

        private void rxDue() {
            moveDueRx();
            if (!rxHeld.isEmpty()) {
                rxTimer().armAt(rxHeld.peek().due);
            }
            Promise<Void> w = rxWaiter;
            if (w != null && !rxReady.isEmpty()) {
                rxWaiter = null;
                w.trySetValue(null);
            }
        }

        @Override
        public Future<Void> whenReadable() {
            moveDueRx();
            if (!rxReady.isEmpty()) {
                return Future.done();
            }
            Promise<Void> p = new Promise<>();
            rxWaiter = p;
            q.whenReadable().onComplete((v, t) -> {
                if (rxWaiter == p) {
                    rxWaiter = null;
                }
                p.trySetValue(null);
            });
            return p;
        }

        @Override
        public void transmit(Packet frame, TxOffload offload) {
            long hold = decide();
            if (hold < 0) {
                frame.release();
                return;
            }
            if (random.nextDouble() < config.corruptRate()) {
                // Copy first: the fragments may be the sender's retransmission data.
                Buffer copy = frame.linearize();
                Buffer own = Buffer.copyOf(copy.toArray());
                copy.release();
                frame.release();
                corrupt(own);
                frame = Packet.of(own);
            }
            if (random.nextDouble() < config.duplicateRate()) {
                duplicated++;
                q.transmit(frame.share(), offload);
            }
            if (hold > 0) {
                txHeld.add(new Held(System.nanoTime() + hold, order++, null, 0, frame, offload));
                txTimer().armAt(txHeld.peek().due);
            } else {
                q.transmit(frame, offload);
            }
        }

        private void txDue() {
            long now = System.nanoTime();
            while (!txHeld.isEmpty() && txHeld.peek().due <= now) {
                Held h = txHeld.poll();
                q.transmit(h.tx, h.offload);
            }
            if (!txHeld.isEmpty()) {
                txTimer().armAt(txHeld.peek().due);
            }
        }

        @Override
        public long transmitDrops() {
            return q.transmitDrops();
        }

        @Override
        public void detach() {
            if (rxTimer != null) {
                rxTimer.cancel();
            }
            if (txTimer != null) {
                txTimer.cancel();
            }
            rxHeld.forEach(h -> h.rx.release());
            txHeld.forEach(h -> h.tx.release());
            rxReady.forEach(x -> x.rx.release());
            rxHeld.clear();
            txHeld.clear();
            rxReady.clear();
            q.detach();
        }
    }
}
