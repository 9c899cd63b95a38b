package io.percore.net.stack;

import io.percore.core.Timer;
import io.percore.memory.Packet;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.HashMap;

/**
 * One shard's neighbour cache for ARP (IPv4) and NDP (IPv6): next-hop address → Ethernet address, with expiry,
 * resolution with retries (1 s apart, 3 tries), and a small queue of frames waiting for an answer. An entry past its
 * expiry is still used while a fresh request goes out, so a busy flow never stalls on a refresh.
 */
final class Neighbours {
    private static final int MAX_PENDING = 64;
    private static final int TRIES = 3;
    private static final long RETRY_NANOS = 1_000_000_000L;

    private final NativeStack stack;
    private final long lifetimeNanos;
    private final HashMap<IpAddr, Entry> entries = new HashMap<>();

    private final class Entry {
        final IpAddr ip;
        long mac = -1;
        long expires;
        long lastRequest;
        int tries;
        final ArrayDeque<Packet> pending = new ArrayDeque<>();
        final ArrayDeque<TxOffload> offloads = new ArrayDeque<>();
        final Timer retry = new Timer(this::retry);

        Entry(IpAddr ip) {
            this.ip = ip;
        }

        void retry() {
            if (mac >= 0) {
                return;
            }
            if (++tries >= TRIES) {
                stack.counters.neighbourDrops += pending.size();
                pending.forEach(Packet::release);
                pending.clear();
                offloads.clear();
                entries.remove(ip);
                return;
            }
            request(this);
        }
    }

    Neighbours(NativeStack stack, long lifetimeNanos) {
        this.stack = stack;
        this.lifetimeNanos = lifetimeNanos;
    }

    /** Sends {@code frame} (Ethernet destination still to fill in) to {@code nextHop}, resolving it when needed. */
    void send(IpAddr nextHop, Packet frame, TxOffload offload) {
        if (nextHop.isMulticast6()) {
            sendTo(nextHop.multicastMac(), frame, offload);
            return;
        }
        Entry e = entries.get(nextHop);
        long now = System.nanoTime();
        if (e != null && e.mac >= 0) {
            if (now - e.expires > 0 && now - e.lastRequest > RETRY_NANOS) {
                e.lastRequest = now;
                stack.sendNeighbourRequest(nextHop);
            }
            sendTo(e.mac, frame, offload);
            return;
        }
        if (e == null) {
            e = new Entry(nextHop);
            entries.put(nextHop, e);
            request(e);
        }
        if (e.pending.size() >= MAX_PENDING) {
            stack.counters.neighbourDrops++;
            frame.release();
            return;
        }
        e.pending.add(frame);
        e.offloads.add(offload);
    }

    private void request(Entry e) {
        e.lastRequest = System.nanoTime();
        stack.sendNeighbourRequest(e.ip);
        e.retry.arm(java.time.Duration.ofNanos(RETRY_NANOS));
    }

    private void sendTo(long mac, Packet frame, TxOffload offload) {
        MemorySegment h = frame.fragment(0).segment();
        Bytes.putMac(h, 0, mac);
        stack.transmitFrame(frame, offload);
    }

    /**
     * Records that {@code ip} is at {@code mac}; flushes frames waiting for it.
     *
     * @param create add an entry when there is none (a reply or a request addressed to us); otherwise only refresh
     */
    void learn(IpAddr ip, long mac, boolean create) {
        Entry e = entries.get(ip);
        if (e == null) {
            if (!create) {
                return;
            }
            e = new Entry(ip);
            entries.put(ip, e);
        }
        e.mac = mac;
        e.tries = 0;
        e.expires = System.nanoTime() + lifetimeNanos;
        e.retry.cancel();
        while (!e.pending.isEmpty()) {
            sendTo(mac, e.pending.poll(), e.offloads.poll());
        }
    }

    void clear() {
        for (Entry e : entries.values()) {
            e.retry.cancel();
            e.pending.forEach(Packet::release);
        }
        entries.clear();
    }
}
