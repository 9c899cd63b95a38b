package io.percore.net;

import io.percore.core.Shard;
import io.percore.net.posix.PosixStack;
import java.util.List;

/**
 * Where a shard gets its {@link NetworkStack}: {@link #stack()} returns the calling shard's own instance,
 * created on first use over the shard's reactor backend. Code that runs on every shard (a server started with
 * {@code Smp.invokeOnAll}) calls it on each and gets each shard's stack.
 *
 * <p>By default a shard gets the POSIX stack (the kernel's TCP/IP, driven by the reactor backend), created on first
 * use. Under {@code --network-stack native} the application template starts the native stack
 * ({@code io.percore.net.stack}) on every shard before the program runs and {@link #install installs} it, so the
 * same program code runs on either stack.
 */
public final class Network {
    private Network() {}

    /** Names of the stacks this build offers, for {@code --network-stack}. */
    public static final List<String> AVAILABLE = List.of("posix", "native");

    /** One stack per shard thread; a shard thread runs one reactor for its whole life. */
    private static final ThreadLocal<NetworkStack> STACKS = new ThreadLocal<>();

    /**
     * Loads and links the stack's classes and native bindings (their downcall handles take milliseconds to
     * build), so that a shard's first listen or connect does not stall its reactor. Optional; call it from the
     * thread that starts the shards. Any thread; idempotent.
     */
    public static void preload() {
        SocketAddress.anyIpv6(0); // java.net.InetAddress and friends
        for (String name : new String[] {"io.percore.sys.Socket", "io.percore.sys.SockAddr", "io.percore.sys.MsgHdr",
                "io.percore.net.posix.PosixStack", "io.percore.net.posix.PosixConnectedSocket",
                "io.percore.net.posix.PosixServerSocket", "io.percore.net.posix.PosixUdpChannel"}) {
            try {
                Class.forName(name, true, Network.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("percore's own class " + name + " is missing", e);
            }
        }
    }

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

    /**
     * Makes {@code stack} the calling shard's stack: {@link #stack()} returns it from now on. The application
     * template calls it on every shard for {@code --network-stack native}, before the program's first call.
     *
     * @throws IllegalStateException off a shard thread, or when the shard already has a stack (a program that
     *                               took the POSIX stack must not silently switch halfway)
     */
    public static void install(NetworkStack stack) {
        if (Shard.current() == null) {
            throw new IllegalStateException("a network stack belongs to a shard; install it on a shard thread");
        }
        NetworkStack old = STACKS.get();
        if (old != null && old != stack) {
            throw new IllegalStateException("this shard already uses the " + old.name() + " stack");
        }
        STACKS.set(java.util.Objects.requireNonNull(stack));
    }

    /**
     * Forgets the calling shard's stack (the next {@link #stack()} creates a POSIX one); the caller stops the stack
     * itself. Shard thread; a no-op when the shard has none.
     */
    public static void uninstall() {
        STACKS.remove();
    }
}
