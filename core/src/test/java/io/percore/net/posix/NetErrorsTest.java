package io.percore.net.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.net.NetException;
import io.percore.net.SocketAddress;
import io.percore.reactor.FdClosedException;
import io.percore.reactor.PollableFd;
import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;
import org.junit.jupiter.api.Test;

/** Every errno the stack reports maps to its typed exception, carrying the errno and the address. */
class NetErrorsTest {
    private static final SocketAddress PEER = SocketAddress.of("::1", 80);

    private static NetException map(int errno) {
        NetException e = NetErrors.map(new ErrnoException(errno, "recv", null), PEER, "read");
        assertEquals(errno, e.errno());
        assertEquals(PEER, e.address());
        assertTrue(e.getMessage().contains(PEER.toString()), e.getMessage());
        assertInstanceOf(ErrnoException.class, e.getCause());
        return e;
    }

    @Test
    void errnosMapToTypedExceptions() {
        assertInstanceOf(NetException.ConnectionRefused.class, map(Errno.ECONNREFUSED));
        assertInstanceOf(NetException.ConnectionReset.class, map(Errno.ECONNRESET));
        assertInstanceOf(NetException.ConnectionReset.class, map(Errno.EPIPE));
        assertInstanceOf(NetException.ConnectionReset.class, map(Errno.ECONNABORTED));
        assertInstanceOf(NetException.TimedOut.class, map(Errno.ETIMEDOUT));
        assertInstanceOf(NetException.AddressInUse.class, map(Errno.EADDRINUSE));
        assertInstanceOf(NetException.Unreachable.class, map(Errno.EHOSTUNREACH));
        assertInstanceOf(NetException.Unreachable.class, map(Errno.ENETUNREACH));
        NetException other = map(Errno.EMSGSIZE);
        assertEquals(NetException.class, other.getClass());
        assertTrue(other.getMessage().contains("EMSGSIZE"), other.getMessage());
    }

    @Test
    void soErrorValuesWithoutAnExceptionGetOne() {
        NetException e = NetErrors.fromErrno(Errno.ETIMEDOUT, PEER, "connect", null);
        assertInstanceOf(NetException.TimedOut.class, e);
        assertTrue(e.getMessage().startsWith("connect timed out"), e.getMessage());
        assertEquals(Errno.ETIMEDOUT, ((ErrnoException) e.getCause()).errno());
    }

    @Test
    void aForgottenDescriptorMeansClosedAndNetExceptionsPassThrough() {
        assertInstanceOf(NetException.SocketClosed.class,
                NetErrors.map(new FdClosedException(new PollableFd(3)), PEER, "read"));
        NetException already = new NetException.AcceptAborted(PEER);
        assertSame(already, NetErrors.map(already, null, "accept"));
        assertTrue(NetErrors.isWouldBlock(new ErrnoException(Errno.EAGAIN, "recv", null)));
        assertTrue(!NetErrors.isWouldBlock(new ErrnoException(Errno.ECONNRESET, "recv", null)));
    }
}
