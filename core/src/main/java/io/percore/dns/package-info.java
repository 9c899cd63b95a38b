/**
 * Asynchronous DNS: a stub resolver per shard that speaks the protocol itself over the shard's network stack,
 * so that looking up a name never blocks a shard (the C library's {@code getaddrinfo} would).
 *
 * <h2>The pieces</h2>
 * <ul>
 *   <li>{@link io.percore.dns.DnsMessage}, {@link io.percore.dns.DnsQuestion}, {@link io.percore.dns.DnsRecord}
 *       and {@link io.percore.dns.DnsCodec}: the wire format of RFC 1035 with AAAA (RFC 3596) and the EDNS0 OPT
 *       record (RFC 6891). The decoder is written for hostile input: it checks every length, count and
 *       compression pointer against the bytes present, detects pointer loops, and throws nothing but
 *       {@link io.percore.dns.DnsException.Malformed}.</li>
 *   <li>{@link io.percore.dns.DnsConfig} and {@link io.percore.dns.HostsFile}: {@code /etc/resolv.conf} and
 *       {@code /etc/hosts}, parsed without I/O; reading the files is blocking, so it is done once, at start-up
 *       or through {@link io.percore.core.Offload} ({@link io.percore.dns.DnsConfig#loadAsync()}), never on a
 *       shard directly.</li>
 *   <li>{@link io.percore.dns.DnsResolver}: {@code resolveName} and {@code resolveAddress}, with the hosts
 *       table first, the search list and ndots, A and AAAA by preference, CNAME chains, PTR, a timeout per try
 *       and retries over the servers, TCP when an answer is truncated, a bounded TTL cache with negative
 *       caching, and identical queries in flight shared.</li>
 *   <li>{@link io.percore.dns.DnsException} and its subclasses say what failed (no such name, timeout, server
 *       failure, malformed answer), for which name and from which server.</li>
 * </ul>
 *
 * <h2>Why per shard</h2>
 * As everything in percore, a resolver belongs to one shard: its sockets are that shard's, its timers fire on
 * that shard, its cache is a plain map. A program resolving names on every shard makes one resolver per shard
 * (a {@code Sharded<DnsResolver>}: the resolver is a {@link io.percore.smp.Service}); each keeps its own
 * cache, which costs a few more queries than a shared cache would and never a lock.
 *
 * <h2>What it is not</h2>
 * A stub resolver trusts its recursive server, as the C library does: no DNSSEC validation, no recursion of its
 * own, no DNS over TLS. Forgery is made hard, not impossible, the usual way: a random id and a fresh socket (a
 * random source port) per query, and answers accepted only from the server asked, with the same id and the same
 * question.
 */
package io.percore.dns;
