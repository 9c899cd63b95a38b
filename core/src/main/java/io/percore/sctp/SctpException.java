package io.percore.sctp;

/**
 * Failure of an SCTP operation: a refused or lost association, a message that cannot be sent, a closed endpoint.
 * Subclasses say which. Immutable; any thread.
 */
public class SctpException extends RuntimeException {
    /** @param message what failed, for people */
    public SctpException(String message) {
        super(message);
    }

    /** @param message what failed; @param cause the underlying failure */
    public SctpException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The association (or endpoint) is closed: shut down, aborted, or lost. */
    public static final class Closed extends SctpException {
        /** @param message why it closed */
        public Closed(String message) {
            super(message);
        }
    }

    /** The association could not be set up (no answer to INIT or COOKIE-ECHO within the retry limit, or ABORT). */
    public static final class ConnectFailed extends SctpException {
        /** @param message why */
        public ConnectFailed(String message) {
            super(message);
        }
    }

    /** A message to send is not acceptable: stream out of range, empty, or larger than the configured limit. */
    public static final class InvalidMessage extends SctpException {
        /** @param message why */
        public InvalidMessage(String message) {
            super(message);
        }
    }
}
