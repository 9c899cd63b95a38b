package io.percore.net;

/**
 * A network operation failed: carries the errno (0 when not from the kernel) and the address involved, so a log
 * line says which connection and why. Subclasses name the common cases; each fails only the futures of the
 * connection it belongs to.
 */
public class NetException extends RuntimeException {
    private final int errno;
    private final SocketAddress address;

    public NetException(String message, int errno, SocketAddress address, Throwable cause) {
        super(message + (address == null ? "" : " [" + address + "]"), cause);
        this.errno = errno;
        this.address = address;
    }

    /** @return the kernel's errno, or 0. */
    public int errno() {
        return errno;
    }

    /** @return the peer or local address concerned, or null. */
    public SocketAddress address() {
        return address;
    }

    /** The peer refused the connection (ECONNREFUSED). */
    public static final class ConnectionRefused extends NetException {
        public ConnectionRefused(int errno, SocketAddress address, Throwable cause) {
            super("connection refused", errno, address, cause);
        }
    }

    /** The peer reset the connection (ECONNRESET, EPIPE after a reset). */
    public static final class ConnectionReset extends NetException {
        public ConnectionReset(int errno, SocketAddress address, Throwable cause) {
            super("connection reset by peer", errno, address, cause);
        }
    }

    /** A connect or an operation timed out (ETIMEDOUT, or a percore timeout). */
    public static final class TimedOut extends NetException {
        public TimedOut(String what, int errno, SocketAddress address, Throwable cause) {
            super(what + " timed out", errno, address, cause);
        }
    }

    /** The address is in use (EADDRINUSE). */
    public static final class AddressInUse extends NetException {
        public AddressInUse(int errno, SocketAddress address, Throwable cause) {
            super("address already in use", errno, address, cause);
        }
    }

    /** No route to the host or network (EHOSTUNREACH, ENETUNREACH). */
    public static final class Unreachable extends NetException {
        public Unreachable(int errno, SocketAddress address, Throwable cause) {
            super("host or network unreachable", errno, address, cause);
        }
    }

    /** A pending accept was woken by {@link ServerSocket#abortAccept()}. */
    public static final class AcceptAborted extends NetException {
        public AcceptAborted(SocketAddress address) {
            super("accept aborted", 0, address, null);
        }
    }

    /** The socket (or its direction) was closed locally while the operation was pending or after. */
    public static final class SocketClosed extends NetException {
        public SocketClosed(String what, SocketAddress address) {
            super(what + " on a closed socket", 0, address, null);
        }
    }
}
