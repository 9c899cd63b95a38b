package io.percore.net.stack;

/**
 * Work a transmitted frame leaves to the device, as in a virtio-net header: complete the checksum whose 16-bit
 * field lies {@code checksumOffset} bytes after {@code checksumStart} (the transport header start, counted from
 * the Ethernet header), and, for TCP with {@code gsoSize > 0}, cut the payload into segments of {@code gsoSize}
 * bytes behind copies of the first {@code headerLength} bytes. Immutable; any thread.
 *
 * @param checksumStart  offset of the transport header in the frame; -1 when the frame is complete
 * @param checksumOffset offset of the checksum field inside the transport header (16 for TCP, 6 for UDP)
 * @param gsoType        {@link #GSO_NONE}, {@link #GSO_TCPV4} or {@link #GSO_TCPV6}
 * @param gsoSize        segment payload size for segmentation offload, 0 without
 * @param headerLength   Ethernet + IP + TCP header bytes (for segmentation)
 */
public record TxOffload(int checksumStart, int checksumOffset, int gsoType, int gsoSize, int headerLength) {
    /** No segmentation. */
    public static final int GSO_NONE = 0;
    /** TCP over IPv4 segmentation. */
    public static final int GSO_TCPV4 = 1;
    /** TCP over IPv6 segmentation. */
    public static final int GSO_TCPV6 = 4;

    /** A complete frame: nothing left to do. */
    public static final TxOffload NONE = new TxOffload(-1, 0, GSO_NONE, 0, 0);

    /** @return true when the device must complete a checksum. */
    public boolean needsChecksum() {
        return checksumStart >= 0;
    }
}
