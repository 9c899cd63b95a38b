package io.percore.file;

/**
 * How a shard's {@link IoScheduler} drives one device.
 *
 * @param maxInFlight      the most requests handed to the kernel at once; the rest wait in their class's queue,
 *                         where the shares decide who goes next. Capped by the device's {@code nr_requests} when
 *                         sysfs reports one.
 * @param maxRequestBytes  larger requests are split into pieces of this size (a multiple of 4096); adjacent
 *                         requests of one class are merged up to it. Capped by the device's
 *                         {@code max_sectors_kb} when sysfs reports one.
 * @param requestCostBytes what one request costs in the fairness accounting beyond its bytes: the device's fixed
 *                         per-request work expressed as bytes, so many small requests are not free
 * @param merge            whether adjacent requests (same file, class and direction, contiguous in the file and in
 *                         memory) are merged into one
 */
public record IoQueueConfig(int maxInFlight, int maxRequestBytes, int requestCostBytes, boolean merge) {
    /** 128 requests in flight, 128 KiB pieces, 16 KiB per request, merging on. */
    public static IoQueueConfig defaults() {
        return new IoQueueConfig(128, 128 << 10, 16 << 10, true);
    }

    /** @throws IllegalArgumentException for a non-positive bound or a piece size that is not a multiple of 4096 */
    public IoQueueConfig {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("max in-flight requests must be at least 1, got " + maxInFlight);
        }
        if (maxRequestBytes < 4096 || maxRequestBytes % 4096 != 0) {
            throw new IllegalArgumentException("max request size must be a positive multiple of 4096, got "
                    + maxRequestBytes);
        }
        if (requestCostBytes < 0) {
            throw new IllegalArgumentException("request cost must not be negative, got " + requestCostBytes);
        }
    }

    /** @return a copy with another in-flight bound. */
    public IoQueueConfig withMaxInFlight(int n) {
        return new IoQueueConfig(n, maxRequestBytes, requestCostBytes, merge);
    }

    /** @return a copy with another piece size. */
    public IoQueueConfig withMaxRequestBytes(int bytes) {
        return new IoQueueConfig(maxInFlight, bytes, requestCostBytes, merge);
    }

    /** @return a copy with merging on or off. */
    public IoQueueConfig withMerge(boolean on) {
        return new IoQueueConfig(maxInFlight, maxRequestBytes, requestCostBytes, on);
    }
}
