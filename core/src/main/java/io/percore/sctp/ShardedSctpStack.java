package io.percore.sctp;

import io.percore.core.Future;
import io.percore.core.Shard;
import io.percore.memory.Buffer;
import io.percore.net.SocketAddress;
import io.percore.smp.Smp;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.util.List;
import java.util.function.IntFunction;

/**
 * One {@link SctpStack} per shard, each over its own transport, acting as one SCTP endpoint: every association
 * lives on one shard, its <em>owner</em>, and a listener serves on every shard (Seastar's {@code sharded} stack
 * with a listening socket per shard). Each shard calls {@link #listener(int)}{@code .accept()} for the
 * associations it owns.
 *
 * <p><b>Ownership.</b> The owner of an association is {@link #ownerOf}{@code (peer IP, peer port, local port)}:
 * a mixing hash modulo the shard count. Every verification tag a shard picks is congruent to that shard modulo the
 * shard count, so a packet carrying our tag names its owner without hashing (this also covers a multi-homed peer
 * sending from another address); only packets without our tag — INIT (tag 0), and ABORT or SHUTDOWN-COMPLETE
 * with the T bit (the peer's own tag) — are routed by the hash (or by the owner table below). The INIT is
 * answered statelessly, with a signed cookie, by the shard the hash names; its INIT-ACK tag names the same shard,
 * so the COOKIE-ECHO reaches it and the association is created there. {@link #connect} from shard S picks an
 * ephemeral local port whose hash names S, so collisions and restarts of that association (INITs from the peer)
 * reach S too.
 *
 * <p><b>Multi-homed peers.</b> A tagless packet may come from any of a multi-homed peer's addresses, whose hash
 * names another shard. Each shard therefore keeps a copy of an owner table, (local port, peer port, peer address)
 * → owner, holding the addresses of multi-homed associations and of those opened by {@link #connect}; the owner
 * updates it on set-up, restart and end with one cross-shard message per shard. Tagless packets consult it first
 * (an INIT also by the addresses it lists), so a restart or a colliding INIT from any of the peer's addresses
 * reaches the owner, and no packet carrying our tag ever reads it.
 *
 * <p><b>Steering.</b> A transport whose sockets each see every packet (raw IP: every raw SCTP socket of the host
 * gets a copy) simply drops the packets another shard owns. A transport whose packets the kernel spreads by its
 * own hash (UDP with SO_REUSEPORT: one socket per shard on one port) hands a packet that landed on the wrong
 * shard to its owner: the datagram is copied once into a buffer of the receiving shard and sent through the
 * cross-shard queue. Replies leave from the owner's own socket, which has the same local address and port.
 *
 * <p>Threads: {@link #start} and every method run on shard threads; {@link #local()}, {@link #listener} and
 * {@link #connect} act on the calling shard's stack.
 */
public final class ShardedSctpStack {
    private final SctpStack[] stacks;

    private ShardedSctpStack(int n) {
        this.stacks = new SctpStack[n];
    }

    /**
     * Creates a stack on every shard over {@code transports.apply(shardId)}, called on that shard (e.g.
     * {@code id -> UdpEncapsulation.bind(address, 9899, true)} to share one UDP port with SO_REUSEPORT, or
     * {@code id -> RawIpTransport.open(address)}). Shard thread only.
     *
     * @return the sharded stack once every shard has its stack; if a transport cannot be made, the stacks already
     * made are closed and the future fails with that exception
     */
    public static Future<ShardedSctpStack> start(IntFunction<? extends SctpTransport> transports) {
        int n = Smp.count();
        ShardedSctpStack group = new ShardedSctpStack(n);
        return Smp.invokeOnAll(() -> {
            int id = Shard.currentId();
            group.stacks[id] = new SctpStack(transports.apply(id), group, id, n);
            return Future.done();
        }).map(v -> group).recoverWith(e -> group.stop().flatMap(v -> Future.failed(e)));
    }

    /**
     * The shard owning an association with a peer at {@code peer}:{@code peerPort} on local port
     * {@code localPort}, among {@code shards} shards. Deterministic within a process. Any thread.
     */
    public static int ownerOf(InetAddress peer, int peerPort, int localPort, int shards) {
        if (shards <= 1) {
            return 0;
        }
        // A 64-bit finaliser (murmur3's) so that neighbouring ports and addresses spread evenly.
        long h = ((long) peer.hashCode() << 32) | (peerPort & 0xFFFFL) << 16 | (localPort & 0xFFFFL);
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) Long.remainderUnsigned(h, shards);
    }

    /** @return the number of shards (one stack each). Any thread. */
    public int shardCount() {
        return stacks.length;
    }

    /** @return the calling shard's stack. Shard thread. */
    public SctpStack local() {
        int id = Shard.currentId();
        if (id < 0 || id >= stacks.length || stacks[id] == null) {
            throw new IllegalStateException("no SCTP stack on this thread (shard " + id + ")");
        }
        return stacks[id];
    }

    /**
     * Listens on {@code local.port()} on every shard.
     *
     * @return done when every shard listens; failed with {@link SctpException} when the port is in use on a shard
     * (the shards that did listen then close their listeners)
     */
    public Future<Void> listen(SocketAddress local, InitOptions options) {
        int port = local.port();
        return Smp.invokeOnAll(() -> {
            stacks[Shard.currentId()].listen(local, options);
            return Future.done();
        }).recoverWith(e -> Smp.invokeOnAll(() -> {
            SctpServerSocket s = stacks[Shard.currentId()].listener(port);
            if (s != null) {
                s.close();
            }
            return Future.done();
        }).flatMap(v -> Future.failed(e)));
    }

    /** @return the calling shard's listener on SCTP port {@code port}, or null when it does not listen there. */
    public SctpServerSocket listener(int port) {
        return local().listener(port);
    }

    /**
     * {@link SctpServerSocket#abortAccept()} on every shard's listener on {@code port}: pending and later accepts
     * fail with {@link SctpException.Closed}. @return done when every shard has done it
     */
    public Future<Void> abortAccept(int port) {
        return Smp.invokeOnAll(() -> {
            SctpServerSocket s = stacks[Shard.currentId()].listener(port);
            if (s != null) {
                s.abortAccept();
            }
            return Future.done();
        });
    }

    /**
     * Opens an association from the calling shard, which owns it (the local port is chosen so that
     * {@link #ownerOf} names this shard). Shard thread.
     */
    public Future<SctpAssociation> connect(SocketAddress remote, InitOptions options) {
        return local().connect(remote, options);
    }

    /** Closes every shard's stack (associations aborted, listeners and transports closed). */
    public Future<Void> stop() {
        return Smp.invokeOnAll(() -> {
            int id = Shard.currentId();
            SctpStack s = stacks[id];
            if (s != null) {
                s.close();
            }
            return Future.done();
        });
    }

    /**
     * Tells every shard but {@code from} that shard {@code from} now owns the associations of {@code added} and no
     * longer those of {@code removed} (one message per shard; the queue between two shards keeps them in order).
     * Owner shard thread.
     */
    void publish(int from, List<SctpStack.Key> added, List<SctpStack.Key> removed) {
        for (int id = 0; id < stacks.length; id++) {
            if (id == from) {
                continue;
            }
            int target = id;
            Smp.submitTo(target, () -> {
                SctpStack s = stacks[target];
                if (s != null) {
                    s.applyOwners(from, added, removed);
                }
                return Future.done();
            }).ignoreFailure(); // the shards are stopping: no table to keep
        }
    }

    /**
     * Hands a packet that arrived on the calling shard to its owner: copied into a buffer of this shard, which
     * the owner takes (and releases).
     *
     * @return false when it could not be handed off (no memory, or the shards are stopping)
     */
    boolean handOff(int owner, byte[] b, int off, int len, SocketAddress from) {
        Buffer copy;
        try {
            copy = Buffer.allocate(len);
        } catch (RuntimeException e) {
            return false; // out of shard memory: the packet is lost and SCTP retransmits
        }
        MemorySegment.copy(b, off, copy.segment(), ValueLayout.JAVA_BYTE, 0, len);
        Smp.submitTo(owner, () -> {
            SctpStack s = stacks[owner];
            if (s == null) {
                copy.release();
            } else {
                s.onSteered(copy, from); // takes the buffer, never throws
            }
            return Future.done();
        }).onComplete((v, err) -> {
            if (err != null) {
                copy.release(); // rejected before it ran: the buffer is still ours
            }
        });
        return true;
    }
}
