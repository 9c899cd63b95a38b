package io.percore.core.sync;

/**
 * Units taken from a {@link Semaphore} (by {@link Semaphore#getUnits(long)}) that go back when released: the
 * holder is passed along with the work that needs the units, and whoever finishes the work releases it, once.
 * Releasing is idempotent, so a release on the error path and another on the normal path do no harm.
 * {@link #close()} releases too, for try-with-resources. Owner shard of the semaphore only.
 */
public final class SemaphoreUnits implements AutoCloseable {
    private final Semaphore semaphore;
    private long units;

    SemaphoreUnits(Semaphore semaphore, long units) {
        this.semaphore = semaphore;
        this.units = units;
    }

    /** @return the units still held (0 once released). */
    public long count() {
        return units;
    }

    /** @return the semaphore the units come from. */
    public Semaphore semaphore() {
        return semaphore;
    }

    /**
     * Gives {@code n} of the held units back to the semaphore now and keeps the rest.
     *
     * @return the units still held
     * @throws IllegalArgumentException when {@code n} is negative or more than are held
     */
    public long returnUnits(long n) {
        if (n < 0 || n > units) {
            throw new IllegalArgumentException("cannot return " + n + " unit(s); " + units + " held");
        }
        units -= n;
        semaphore.signal(n);
        return units;
    }

    /**
     * Moves {@code n} of the held units into a new holder, to be released separately.
     *
     * @throws IllegalArgumentException when {@code n} is negative or more than are held
     */
    public SemaphoreUnits split(long n) {
        if (n < 0 || n > units) {
            throw new IllegalArgumentException("cannot split " + n + " unit(s); " + units + " held");
        }
        units -= n;
        return new SemaphoreUnits(semaphore, n);
    }

    /** Gives every held unit back to the semaphore; later calls do nothing. */
    public void release() {
        long n = units;
        if (n > 0) {
            units = 0;
            semaphore.signal(n);
        }
    }

    /** Same as {@link #release()}. */
    @Override
    public void close() {
        release();
    }

    @Override
    public String toString() {
        return "SemaphoreUnits[" + units + "]";
    }
}
