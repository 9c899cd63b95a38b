package io.percore.net.stack;

/**
 * A source and sink of Ethernet frames for the native stack: a TAP interface, an AF_PACKET socket, an in-memory
 * wire in tests, or a wrapper that injects faults. A device has one or more {@linkplain DeviceQueue queues}; the
 * stack drives queue {@code shard % queueCount()} from each shard, so a device whose hardware (or kernel) spreads
 * flows over queues delivers each flow to the shard that owns it, and one that cannot is corrected by the stack's
 * software hash and one cross-shard hand-off. An AF_XDP device fits the same shape: a queue per shard with batches
 * of frames on its rings.
 *
 * <p>Opening and closing happen off the shards (start-up, tests); each queue is then used by one shard only.
 */
public interface NetDevice extends AutoCloseable {
    /** @return the number of queues (at least 1). Any thread. */
    int queueCount();

    /** @return queue {@code index}; the caller's shard becomes its only user. */
    DeviceQueue queue(int index);

    /** @return the largest IP packet (without the Ethernet header) the link carries, e.g. 1500. Any thread. */
    int mtu();

    /**
     * @return the offloads the device performs: {@link DeviceQueue#TX_CHECKSUM} when it completes checksums
     * marked partial, {@link DeviceQueue#TX_TSO} when it segments large TCP segments. Any thread.
     */
    int offloads();

    /** @return a short description for logs, e.g. "tap pc0 (2 queues, vnet)". */
    String describe();

    /** Releases the device's descriptors; queues must no longer be used. Off-shard, after the stacks stopped. */
    @Override
    void close();
}
