package io.percore.file;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What sysfs says about the block device holding a file: its queue depth ({@code nr_requests}) and largest
 * request ({@code max_sectors_kb}). Files on devices without a sysfs queue (tmpfs, overlay, a network file
 * system) get zeros, meaning "no device limit". Read off the shard thread (sysfs reads are file reads).
 *
 * @param device          the device id: major in the high 32 bits, minor in the low 32
 * @param name            a readable name ("254:0")
 * @param nrRequests      the device queue's depth, 0 when unknown
 * @param maxRequestBytes the largest request the device takes, 0 when unknown
 */
record DeviceLimits(long device, String name, int nrRequests, int maxRequestBytes) {

    /** @return the device id of {@code major:minor}. */
    static long deviceId(int major, int minor) {
        return ((long) major << 32) | Integer.toUnsignedLong(minor);
    }

    /** Reads the limits of {@code major:minor}; a partition reports its disk's queue. Blocking; off-shard. */
    static DeviceLimits of(int major, int minor) {
        String name = major + ":" + minor;
        Path dev = Path.of("/sys/dev/block", name);
        Path queue = dev.resolve("queue");
        if (!java.nio.file.Files.isDirectory(queue)) {
            queue = dev.resolve("..").resolve("queue"); // a partition: the queue belongs to the whole disk
        }
        int nr = readInt(queue.resolve("nr_requests"));
        int maxKb = readInt(queue.resolve("max_sectors_kb"));
        int maxBytes = maxKb > 0 && maxKb <= (1 << 20) ? maxKb << 10 : 0;
        return new DeviceLimits(deviceId(major, minor), name, Math.max(nr, 0), maxBytes);
    }

    private static int readInt(Path p) {
        try {
            return Integer.parseInt(java.nio.file.Files.readString(p).trim());
        } catch (IOException | NumberFormatException | SecurityException e) {
            return 0; // no such device queue (tmpfs, overlay) or an unreadable value: no limit from the device
        }
    }

    /** @return {@code base} narrowed by this device's limits. */
    IoQueueConfig apply(IoQueueConfig base) {
        int inFlight = nrRequests > 0 ? Math.min(base.maxInFlight(), nrRequests) : base.maxInFlight();
        int maxReq = base.maxRequestBytes();
        if (maxRequestBytes >= 4096) {
            maxReq = Math.min(maxReq, maxRequestBytes & -4096);
        }
        return new IoQueueConfig(inFlight, maxReq, base.requestCostBytes(), base.merge());
    }
}
