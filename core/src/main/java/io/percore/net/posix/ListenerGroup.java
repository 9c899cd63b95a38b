package io.percore.net.posix;

import io.percore.net.ListenOptions;
import io.percore.net.NetException;
import io.percore.net.SocketAddress;
import io.percore.smp.Smp;
import io.percore.sys.Errno;
import io.percore.sys.ErrnoException;
import io.percore.sys.Fd;
import io.percore.sys.SockAddr;
import io.percore.sys.Socket;
import java.lang.foreign.Arena;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The one kernel listening socket behind every shard's {@link PosixServerSocket} on an address, and the
 * {@link ConnectionBalancer} that spreads its connections.
 *
 * <p>The first shard to listen on an address creates the socket (bind, listen) and registers the group under
 * its bound address; a shard that then listens on the same address joins it instead of binding again. Every
 * member registers the shared descriptor with its own reactor backend and accepts from it when its program
 * asks for connections; the balancer names the shard that gets each one. Members that called
 * {@link PosixServerSocket#abortAccept()} keep their hold on the descriptor but take no more connections; the
 * last member to close closes the descriptor, after all others have forgotten it in their backends.
 *
 * <p>Thread rules: the registry and membership change under a lock (listen and close are rare); the routing
 * path reads {@link #member(int)} from a volatile copy-on-write array, without locks.
 */
final class ListenerGroup {
    /** Groups by (Smp, bound address); an Smp is one run of the shards, so a new run never sees an old group. */
    private static final Map<Key, ListenerGroup> REGISTRY = new HashMap<>();

    private record Key(Smp smp, SocketAddress address) {}

    final int fd;
    final SocketAddress bound;
    final ListenOptions options;
    final boolean ipv6;
    final ConnectionBalancer balancer;
    private final Key key;
    /** Members by shard id; replaced, never mutated, under the registry lock. */
    private volatile PosixServerSocket[] members;
    /** Shards that still hold the descriptor (accepting or not). */
    private int holders;
    private boolean closed;

    private ListenerGroup(Key key, int fd, SocketAddress bound, ListenOptions options, boolean ipv6, int shards) {
        this.key = key;
        this.fd = fd;
        this.bound = bound;
        this.options = options;
        this.ipv6 = ipv6;
        this.balancer = new ConnectionBalancer(options.balancing(), options.fixedShard(), shards);
        this.members = new PosixServerSocket[shards];
    }

    /**
     * Joins the group listening on {@code address}, or creates it: a new socket bound and listening. Calling shard.
     *
     * @param member a factory for the calling shard's server socket over the group
     * @return the calling shard's member
     * @throws NetException.AddressInUse when this shard already listens there, or the kernel says so
     * @throws IllegalArgumentException when the group exists with other options
     */
    static PosixServerSocket listen(SocketAddress address, ListenOptions options, int shard, int shards,
                                    java.util.function.Function<ListenerGroup, PosixServerSocket> member) {
        Smp smp = Smp.current();
        synchronized (REGISTRY) {
            purgeStale(smp);
            ListenerGroup g = address.port() == 0 || smp == null ? null : REGISTRY.get(new Key(smp, address));
            if (g != null) {
                if (!g.options.equals(options)) {
                    throw new IllegalArgumentException("shards already listen on " + address + " with " + g.options
                            + "; every shard must listen with the same options, not " + options);
                }
                if (g.members[shard] != null) {
                    throw new NetException.AddressInUse(Errno.EADDRINUSE, address,
                            new ErrnoException(Errno.EADDRINUSE, "listen", "shard " + shard + " already listens there"));
                }
                return g.join(shard, member);
            }
            g = create(smp, address, options, shards);
            if (smp != null) {
                REGISTRY.put(g.key, g);
            }
            return g.join(shard, member);
        }
    }

    private static ListenerGroup create(Smp smp, SocketAddress address, ListenOptions options, int shards) {
        boolean ipv6 = address.isIpv6();
        int fd;
        try {
            fd = Socket.open(ipv6 ? Socket.AF_INET6 : Socket.AF_INET, Socket.SOCK_STREAM);
        } catch (ErrnoException e) {
            throw NetErrors.map(e, address, "listen");
        }
        try (Arena arena = Arena.ofConfined()) {
            if (options.reuseAddress()) {
                Socket.setOption(fd, Socket.SOL_SOCKET, Socket.SO_REUSEADDR, 1);
            }
            if (ipv6) {
                Socket.setOption(fd, Socket.IPPROTO_IPV6, Socket.IPV6_V6ONLY, options.dualStack() ? 0 : 1);
            }
            SockAddr sa = SockAddr.allocate(arena);
            Addresses.encode(sa, address, ipv6);
            Socket.bind(fd, sa);
            Socket.listen(fd, options.backlog());
            Socket.localAddress(fd, sa);
            SocketAddress bound = Addresses.decode(sa);
            return new ListenerGroup(new Key(smp, bound), fd, bound, options, ipv6, shards);
        } catch (RuntimeException e) {
            Fd.close(fd);
            throw NetErrors.map(e, address, "listen");
        }
    }

    /** Drops groups of Smp runs that have ended (their programs never closed them). Under the lock. */
    private static void purgeStale(Smp current) {
        for (Iterator<Key> it = REGISTRY.keySet().iterator(); it.hasNext(); ) {
            if (it.next().smp() != current) {
                it.remove();
            }
        }
    }

    private PosixServerSocket join(int shard, java.util.function.Function<ListenerGroup, PosixServerSocket> factory) {
        PosixServerSocket m = factory.apply(this);
        PosixServerSocket[] next = members.clone();
        next[shard] = m;
        members = next;
        holders++;
        updateAcceptors();
        return m;
    }

    /** @return shard {@code shard}'s member, or null when it does not (or no longer) accept here. Any thread. */
    PosixServerSocket member(int shard) {
        PosixServerSocket[] m = members;
        return shard < m.length ? m[shard] : null;
    }

    /** Stops routing connections to {@code member} of {@code shard} (it aborted its accepts); it still holds the descriptor. */
    void stopAccepting(int shard, PosixServerSocket member) {
        synchronized (REGISTRY) {
            remove(shard, member);
        }
    }

    private void remove(int shard, PosixServerSocket member) {
        // The shard may have listened again since it aborted: only its current member is removed.
        if (members[shard] == member) {
            PosixServerSocket[] next = members.clone();
            next[shard] = null;
            members = next;
            updateAcceptors();
        }
    }

    /**
     * Lets go of the descriptor for {@code member} of {@code shard}, which has already forgotten it in its backend.
     *
     * @return true when it was the last holder: the group is closed and unregistered, and the caller closes the
     * descriptor
     */
    boolean release(int shard, PosixServerSocket member) {
        synchronized (REGISTRY) {
            remove(shard, member);
            if (--holders > 0 || closed) {
                return false;
            }
            closed = true;
            REGISTRY.remove(key, this);
            return true;
        }
    }

    private void updateAcceptors() {
        PosixServerSocket[] m = members;
        int n = 0;
        for (PosixServerSocket s : m) {
            if (s != null) {
                n++;
            }
        }
        int[] ids = new int[n];
        for (int i = 0, k = 0; i < m.length; i++) {
            if (m[i] != null) {
                ids[k++] = i;
            }
        }
        balancer.setAcceptors(ids);
    }

    @Override
    public String toString() {
        return "listener " + bound + " (fd " + fd + ", " + options.balancing() + ")";
    }
}
