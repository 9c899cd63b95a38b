package io.percore.core.sync;

import java.util.concurrent.TimeoutException;

/**
 * Fails a {@link Semaphore} wait whose timeout passed before its units were available. The waiter has left the
 * queue by then: it holds no units and will never take any. A {@link TimeoutException}, so code that handles
 * {@link io.percore.core.Future#withTimeout} timeouts handles this one too.
 */
public final class SemaphoreTimedOutException extends TimeoutException {
    /** @param message what timed out and after how long */
    public SemaphoreTimedOutException(String message) {
        super(message);
    }
}
