package io.percore.core.sync;

/**
 * The default reason a {@link Semaphore} is {@linkplain Semaphore#broken() broken}: its owner is shutting down
 * and every current and future wait fails with this.
 */
public final class BrokenSemaphoreException extends IllegalStateException {
    /** Creates the default exception: "semaphore broken". */
    public BrokenSemaphoreException() {
        super("semaphore broken: its owner is shutting down and takes no more waiters");
    }
}
