package io.percore.net.stack;

import java.time.Duration;

/**
 * What a {@link FaultInjectingDevice} does to frames, in each direction, decided per frame by a generator seeded
 * with {@code seed} (so a failing run can be replayed). Rates are probabilities from 0 to 1. Immutable; any thread.
 *
 * @param seed          seeds the per-queue generators
 * @param dropRate      a frame is lost
 * @param duplicateRate a frame is delivered twice
 * @param reorderRate   a frame is held back 1 to 5 ms, so later frames overtake it
 * @param corruptRate   one random bit of a frame is flipped
 * @param delayRate     a frame is held back up to {@code maxDelay}
 * @param maxDelay      the longest extra delay
 */
public record FaultConfig(long seed, double dropRate, double duplicateRate, double reorderRate, double corruptRate,
                          double delayRate, Duration maxDelay) {
    public FaultConfig {
        for (double r : new double[] {dropRate, duplicateRate, reorderRate, corruptRate, delayRate}) {
            if (!(r >= 0 && r <= 1)) {
                throw new IllegalArgumentException("fault rates must be between 0 and 1, got " + r);
            }
        }
        if (maxDelay == null || maxDelay.isNegative()) {
            throw new IllegalArgumentException("maxDelay must be zero or positive");
        }
    }

    /** @return only losses at {@code rate}. */
    public static FaultConfig loss(long seed, double rate) {
        return new FaultConfig(seed, rate, 0, 0, 0, 0, Duration.ZERO);
    }

    /** @return losses at {@code rate} plus reordering of {@code reorder} of the frames. */
    public static FaultConfig lossAndReorder(long seed, double rate, double reorder) {
        return new FaultConfig(seed, rate, 0, reorder, 0, 0, Duration.ZERO);
    }
}
