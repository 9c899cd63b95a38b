/**
 * SCTP (RFC 9260) in user space, over UDP encapsulation (RFC 6951) or raw IP (protocol 132), with the API SCTP
 * applications need: whole messages with their stream, SSN, PPID and unordered flag, typed notifications in the
 * same ordered feed, control of the stream counts, and a listener whose {@code abortAccept} works.
 *
 * <h2>Layers</h2>
 * {@link io.percore.sctp.SctpCodec} turns packets into {@link io.percore.sctp.Chunk} records and back (CRC32c
 * included). An {@link io.percore.sctp.SctpTransport} carries packets: {@link io.percore.sctp.UdpEncapsulation},
 * {@link io.percore.sctp.RawIpTransport}, or an in-memory network in tests. An {@link io.percore.sctp.SctpStack}
 * is one shard's endpoint over one transport: it answers INITs statelessly with signed cookies, creates
 * associations from valid COOKIE-ECHOs, checks verification tags and applies the out-of-the-blue rules, on the
 * ports it owns only. An {@link io.percore.sctp.SctpAssociation} is the state machine of one association.
 *
 * <h2>Sharding: one owner shard per association</h2>
 * A {@link io.percore.sctp.ShardedSctpStack} puts one stack on every shard and makes them one endpoint, the way
 * Seastar runs a listening socket on every shard. An association lives on one shard, its owner, named by a hash
 * of the peer's address, the peer's port and the local port ({@link io.percore.sctp.ShardedSctpStack#ownerOf}).
 * Every verification tag a shard chooses is congruent to the shard's number modulo the shard count, so a packet
 * carrying our tag names its owner at a glance; the hash is needed only for packets that carry no tag of ours:
 * INIT (tag 0) and ABORT / SHUTDOWN-COMPLETE with the T bit. The shard the hash names answers an INIT (keeping
 * no state: all it knows goes into the signed cookie), and the tag it puts in the INIT-ACK brings the
 * COOKIE-ECHO back to it. An outgoing {@code connect} picks an ephemeral local port whose hash names the calling
 * shard, so the peer's INITs for that association (collisions, restarts) find it too.
 *
 * <p>Why this choice: the kernel's own spreading cannot be ours. With UDP encapsulation each shard binds the same
 * port with SO_REUSEPORT and the kernel picks a socket by a secret hash of the UDP 4-tuple; with raw IP every raw
 * socket of the host receives every SCTP packet. Neither knows associations. So the stack decides ownership
 * itself, from what every packet carries (its tag, or its addresses and ports), without a shared table: no
 * lookups across shards, no locks, no state before COOKIE-ECHO. A UDP packet that the kernel put on another
 * shard costs one copy and one cross-shard hand-off; over raw IP each shard reads every packet and drops, after
 * looking at its header only, those it does not own. Associations are spread as evenly as the peers' ports are
 * varied; a multi-homed peer's packets from its other addresses still carry our tag and reach the owner.
 *
 * <p>Tagless packets from a multi-homed peer are the exception the hash cannot cover: a peer that restarts, or
 * whose INIT collides with ours, may send its INIT from any of its addresses, and an ABORT with the T bit may come
 * from any of them too; the hash of that address names some shard, not necessarily the owner. So the owner
 * <em>publishes</em> the peer addresses of such associations (multi-homed ones, and those it opened with
 * {@code connect}) into a small owner table of which every shard keeps a copy, updated by one cross-shard message
 * per shard when an association is set up, restarted or ended. The table is read only for packets without our
 * tag, by address and ports, and for an INIT also by each address it lists (an INIT belongs to an association when
 * any of its addresses does): the packet then goes straight to the owner, which restarts the association there
 * (RFC 9260 5.2.4) instead of a second one opening elsewhere. DATA, SACK and heartbeats never read it, and a
 * single-homed passive association, the common case on a server, needs no entry. Copies are updated
 * asynchronously: a tagless packet racing an association's set-up by microseconds is routed by the hash, and SCTP
 * retransmits it.
 *
 * <h2>Payloads are shard buffers</h2>
 * Messages carry {@link io.percore.memory.Buffer}s. A sent message's buffer is taken by
 * {@link io.percore.sctp.SctpAssociation#send}: its DATA chunks are views of it (no copy when fragmenting), kept
 * for retransmission and released as the peer acknowledges them. The transport reads a datagram into its receive
 * area; one holding DATA is copied from there into an exactly sized buffer of the shard's pool, and a message
 * that arrived in one DATA chunk is a view of that buffer; a fragmented message is reassembled into one new
 * buffer. The application owns what
 * {@link io.percore.sctp.SctpAssociation#receive} returns and releases it, or sends it on unchanged (an echo
 * copies nothing).
 *
 * <p>Threads: everything here belongs to one shard, except the codec (stateless) and the records of immutable
 * values; see each type.
 */
package io.percore.sctp;
