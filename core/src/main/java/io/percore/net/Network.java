package io.percore.net;

import io.percore.core.Shard;
import io.percore.net.posix.PosixStack;
import java.util.List;

/**
 * Where a shard gets its {@link NetworkStack}: {@link #stack()} returns the calling shard's own instance,
 * created on first use over the shard's reactor backend. Code that runs on every shard (a server started with
 * {@code Smp.invokeOnAll}) calls it on each and gets each shard's stack.
 *
 * <p>The POSIX stack (the kernel's TCP/IP, driven by the reactor backend) is the one this build has; the native
 * stack joins here under {@code --network-stack native}.
 */
public final class Network {
    private Network() {}

    /** Names of the stacks this build offers, for {@code --network-stack}. */
    public static final List<String> AVAILABLE = List.of("posix");

    /** One stack per shard thread; a shard thread runs one reactor for its whole life. */
    private static final ThreadLocal<NetworkStack> STACKS = new ThreadLocal<>();

    /**
     * @return the calling shard's network stack (the same object on every call from that shard)
     * @throws IllegalStateException off a shard thread
     */
    public static NetworkStack stack() {
        if (Shard.current() == null) {
            throw new IllegalStateException("the network stack belongs to a shard; call Network.stack() on a shard thread");
        }
        NetworkStack s = STACKS.get();
        if (s == null) {
            s = PosixStack.create();
            STACKS.set(s);
        }
        return s;
    }
}
