package io.percore.net.posix;

import io.percore.net.NetException;
import io.percore.net.SocketAddress;
import io.percore.reactor.FdClosedException;
import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;

/**
 * Turns what the kernel and the backend report into the typed {@link NetException}s of the network API, each
 * with the errno and the address of the connection concerned.
 */
final class NetErrors {
    private NetErrors() {}

    /**
     * @param failure what an operation failed with: an {@link ErrnoException}, a backend's
     *                {@link FdClosedException}, an existing {@link NetException}, or anything else
     * @param address the peer (or, for listen and bind, local) address concerned
     * @param what    the operation, for messages ("read", "write", "connect")
     */
    static NetException map(Throwable failure, SocketAddress address, String what) {
        if (failure instanceof NetException ne) {
            return ne;
        }
        if (failure instanceof ErrnoException e) {
            return fromErrno(e.errno(), address, what, e);
        }
        if (failure instanceof FdClosedException) {
            return new NetException.SocketClosed(what, address);
        }
        return new NetException(what + " failed: " + failure, 0, address, failure);
    }

    /** @return the typed exception for {@code errno}; {@code cause} may be null (an errno from SO_ERROR). */
    static NetException fromErrno(int errno, SocketAddress address, String what, Throwable cause) {
        Throwable c = cause != null ? cause : new ErrnoException(errno, what, null);
        return switch (errno) {
            case Errno.ECONNREFUSED -> new NetException.ConnectionRefused(errno, address, c);
            case Errno.ECONNRESET, Errno.EPIPE, Errno.ECONNABORTED -> new NetException.ConnectionReset(errno, address, c);
            case Errno.ETIMEDOUT -> new NetException.TimedOut(what, errno, address, c);
            case Errno.EADDRINUSE -> new NetException.AddressInUse(errno, address, c);
            case Errno.EHOSTUNREACH, Errno.ENETUNREACH -> new NetException.Unreachable(errno, address, c);
            default -> new NetException(what + " failed: " + Errno.name(errno) + " (" + ErrnoException.strerror(errno) + ")",
                    errno, address, c);
        };
    }

    /** @return true for the "try again later" answer (which readiness backends never let through, but completion ones may). */
    static boolean isWouldBlock(Throwable failure) {
        return failure instanceof ErrnoException e && (e.errno() == Errno.EAGAIN || e.errno() == Errno.EINPROGRESS
                || e.errno() == Errno.EALREADY);
    }
}
