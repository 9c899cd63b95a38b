package io.percore.net.stack;

import io.percore.core.Future;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;

/**
 * One queue of a {@link NetDevice}, driven by exactly one shard: it receives frames in batches and transmits
 * frames built by the stack. Received frames are {@link Buffer}s the receiver owns (usually views of a larger
 * receive area, so the stack can hand payload to applications without copying).
 */
public interface DeviceQueue {
    /** Receive flag: the frame's transport checksum is known to be correct (verified or partial from a local sender). */
    int RX_CHECKSUM_OK = 1;

    /** {@link NetDevice#offloads()} bit: the device completes checksums of frames sent with {@link TxOffload} checksum info. */
    int TX_CHECKSUM = 1;
    /** {@link NetDevice#offloads()} bit: the device segments TCP frames larger than the MTU ({@link TxOffload#gsoSize()}). */
    int TX_TSO = 2;

    /** Where {@link #receive} delivers frames. */
    @FunctionalInterface
    interface FrameSink {
        /**
         * Takes one frame (starting with the Ethernet header); the sink owns and releases it.
         *
         * @param flags {@link #RX_CHECKSUM_OK} or 0
         */
        void frame(Buffer frame, int flags);
    }

    /**
     * Receives up to {@code max} frames without blocking, handing each to {@code sink}. Owning shard only.
     *
     * @return the number delivered; 0 when none is waiting (then {@link #whenReadable()} tells when to retry)
     */
    int receive(FrameSink sink, int max);

    /**
     * @return a future resolved (on the owning shard) once frames may be waiting: at once when some already are.
     * At most one may be pending. Owning shard only.
     */
    Future<Void> whenReadable();

    /**
     * Transmits one frame, taking ownership of the packet (it is released, sent or not). A frame the device cannot
     * take now is dropped and counted, as a NIC would; TCP recovers. Owning shard only.
     *
     * @param offload checksum/segmentation work left to the device, or {@link TxOffload#NONE}
     */
    void transmit(Packet frame, TxOffload offload);

    /** @return frames dropped on transmit because the device could not take them. Owning shard only. */
    long transmitDrops();

    /**
     * Called on the owning shard when its stack stops: drops reactor registrations and receive areas, so the
     * device can then be closed from any thread. The queue is not used afterwards. Owning shard only.
     */
    default void detach() {
    }
}
