package io.percore.net;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Timer;
import java.time.Duration;

/**
 * The socket API of a shard, the same whichever stack is under it: the kernel's (POSIX, over the reactor
 * backend) or percore's own (native). Shard thread only; each shard has its own instance.
 */
public interface NetworkStack {
    /** @return "posix" or "native". */
    String name();

    /**
     * Listens on {@code address}. Connections are spread over the shards that listen on the same address as
     * {@code options.balancing()} says.
     *
     * @throws NetException.AddressInUse and other {@link NetException}s at once
     */
    ServerSocket listen(SocketAddress address, ListenOptions options);

    /** @return a connected socket; fails with a typed {@link NetException} (refused, unreachable, timed out). */
    Future<ConnectedSocket> connect(SocketAddress remote);

    /**
     * Connects, giving up after {@code timeout}: the future then fails with {@link NetException.TimedOut}
     * (errno 0: percore's timeout, not the kernel's) and the connection attempt is abandoned, so a late success
     * is closed rather than leaked. Stacks override this to cancel the attempt itself.
     *
     * @param timeout how long the handshake may take; null for no limit of percore's own
     */
    default Future<ConnectedSocket> connect(SocketAddress remote, Duration timeout) {
        Future<ConnectedSocket> attempt = connect(remote);
        if (timeout == null || attempt.isDone()) {
            return attempt;
        }
        Promise<ConnectedSocket> result = new Promise<>();
        Timer timer = new Timer(() -> result.trySetException(new NetException.TimedOut("connect", 0, remote, null)));
        timer.arm(timeout);
        attempt.onComplete((socket, error) -> {
            timer.cancel();
            if (error != null) {
                result.trySetException(error);
            } else if (!result.trySetValue(socket)) {
                socket.close().ignoreFailure();
            }
        });
        return result;
    }

    /** @return a UDP socket bound to {@code local} (port 0: any). */
    UdpChannel udpChannel(SocketAddress local);
}
