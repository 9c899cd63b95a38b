package io.percore.core.sync;

/**
 * An operation stopped because its {@link AbortSource} was asked to abort. It is the default abort reason, and
 * what {@link AbortSource#throwIfAborted()} throws (with a custom reason as its cause).
 */
public final class AbortRequestedException extends RuntimeException {
    /** Creates the default reason: "abort requested". */
    public AbortRequestedException() {
        super("abort requested");
    }

    /** @param cause the reason given to {@link AbortSource#requestAbort(Throwable)} */
    public AbortRequestedException(Throwable cause) {
        super("abort requested: " + cause, cause);
    }
}
