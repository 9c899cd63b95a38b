package io.percore.dns;

import io.percore.core.Future;
import io.percore.core.LowresClock;
import io.percore.core.Promise;
import io.percore.core.Reactor;
import io.percore.core.Timer;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.ConnectedSocket;
import io.percore.net.NetException;
import io.percore.net.NetworkStack;
import io.percore.net.SocketAddress;
import io.percore.net.UdpChannel;
import io.percore.smp.Service;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * An asynchronous stub resolver for one shard: names to addresses ({@link #resolveName}) and addresses to names
 * ({@link #resolveAddress}), first from the hosts table, then by asking the configured name servers over the
 * shard's own {@link NetworkStack} — never through the C library, whose lookups block.
 *
 * <h2>How a name is resolved</h2>
 * An address literal is returned as it is. Otherwise the hosts table is consulted with the name as given. Then
 * the name is tried in the order the search list and {@code ndots} give (resolv.conf(5)): a name with a final
 * dot as it is only; one with at least {@code ndots} dots as it is, then with each search domain; a shorter one
 * with each search domain, then as it is. A candidate that does not exist moves on to the next; a server
 * failure is remembered and the search goes on; a timeout or a malformed answer ends it. For each candidate,
 * A and/or AAAA queries go out at the same time, as {@link DnsConfig#preference()} says, and the addresses come
 * back in the preferred family's order. CNAME chains are followed through the answer, and by asking again for
 * the chain's end when the server left it out, up to {@link DnsConfig#maxCnameChain()} links; a loop or a longer
 * chain fails as {@link DnsException.Malformed}.
 *
 * <h2>How a query travels</h2>
 * Each try sends one query with a fresh random id from a fresh UDP socket (so the kernel picks a fresh random
 * source port) to one server, and waits {@link DnsConfig#timeout()} for the answer. A datagram that comes from
 * another address, carries another id, is not a response, or does not repeat the question is dropped and the
 * wait goes on (a forged or stale answer must not end it). An answer with the TC bit is asked again over TCP
 * (two-byte length prefix, RFC 1035 section 4.2.2), as is every query with {@link DnsConfig#tcpOnly()}. A
 * timeout, an error code other than NXDOMAIN, an unreachable server or a malformed answer moves on to the next
 * server, for {@link DnsConfig#attempts()} rounds over all of them; the first server of each query rotates with
 * {@link DnsConfig#rotate()}. A server that rejects EDNS0 with FORMERR is asked again without it.
 *
 * <h2>Cache and coalescing</h2>
 * Answers are cached per (name, type) for their TTL (the smallest along a CNAME chain, at most
 * {@link DnsConfig#maxCacheTtl()}), negative answers for the SOA's negative TTL (RFC 2308, at most
 * {@link DnsConfig#maxNegativeTtl()}; not at all without an SOA), at most {@link DnsConfig#cacheSize()} of them.
 * Identical queries in flight at the same time share one exchange with the servers. Each shard has its own
 * resolver and cache: nothing is shared, nothing is locked.
 *
 * <h2>Threads and lifetime</h2>
 * Create it on its shard with that shard's stack; every method is for that shard's thread only. The hosts and
 * resolv.conf files are not read here: {@link DnsConfig#loadAsync()} reads them off the shard (or
 * {@link #create(NetworkStack)} does it for you). {@link #stop()} fails the queries in flight and closes their
 * sockets; the resolver implements {@link Service} so that a {@code Sharded<DnsResolver>} can own one per shard.
 */
public final class DnsResolver implements Service {
    private final NetworkStack stack;
    private final DnsConfig config;
    private final Reactor reactor;
    /** Query ids: seeded from the system's secure source once; the id is one of two secrets with the port. */
    private final SplittableRandom random;
    private final DnsCache cache;
    private final Map<DnsCache.Key, List<Promise<Answer>>> inFlight = new HashMap<>();
    private final Set<Exchange> active = new HashSet<>();
    private int rotation;
    private boolean stopped;

    private long queriesSent;
    private long tcpQueriesSent;
    private long cacheHits;

    /**
     * @param stack  the shard's network stack, used for every query
     * @param config servers, search list, hosts table and cache settings
     * @throws IllegalStateException off a shard thread
     */
    public DnsResolver(NetworkStack stack, DnsConfig config) {
        this.stack = Objects.requireNonNull(stack, "stack");
        this.config = Objects.requireNonNull(config, "config");
        this.reactor = Reactor.current();
        if (reactor == null) {
            throw new IllegalStateException("a DnsResolver belongs to a shard: create it on the shard's thread");
        }
        this.random = new SplittableRandom(new SecureRandom().nextLong());
        this.cache = new DnsCache(config.cacheSize());
    }

    /**
     * Reads {@code /etc/resolv.conf} and {@code /etc/hosts} off the shard ({@link DnsConfig#loadAsync()}), then
     * makes a resolver for this shard. Shard thread only.
     *
     * @return a future completed on the calling shard
     */
    public static Future<DnsResolver> create(NetworkStack stack) {
        return DnsConfig.loadAsync().map(c -> new DnsResolver(stack, c));
    }

    /** @return the configuration this resolver was made with. */
    public DnsConfig config() {
        return config;
    }

    // ------------------------------------------------------------------------------------------------ public API

    /**
     * Resolves a host name to its addresses, as the class description says.
     *
     * @param name a host name ("www.example.com", "db", "host." for no search list) or an address literal;
     *             ASCII only: convert international names with {@link java.net.IDN#toASCII} first
     * @return the addresses (never empty), preferred family first; fails with {@link DnsException.NameNotFound}
     * when no candidate has an address, {@link DnsException.Timeout}, {@link DnsException.ServerFailure} or
     * {@link DnsException.Malformed} naming the name and server, or {@link IllegalArgumentException} for a name
     * that is not a valid DNS name. Shard thread only.
     */
    public Future<List<InetAddress>> resolveName(String name) {
        checkOwner();
        Objects.requireNonNull(name, "name");
        if (stopped) {
            return Future.failed(stoppedError());
        }
        InetAddress literal = literal(name);
        if (literal != null) {
            return Future.ready(List.of(literal));
        }
        String canonical;
        try {
            canonical = DnsNames.canonical(name);
        } catch (IllegalArgumentException e) {
            return Future.failed(e);
        }
        if (canonical.isEmpty()) {
            return Future.failed(new IllegalArgumentException("cannot resolve the root name '" + name + "'"));
        }
        List<InetAddress> fromHosts = preferred(config.hosts().lookup(canonical));
        if (!fromHosts.isEmpty()) {
            return Future.ready(fromHosts);
        }
        return tryCandidates(canonical, candidates(name, canonical), 0, null, null);
    }

    /**
     * Finds the host name of an address: the hosts table first, then a PTR query for its
     * {@code in-addr.arpa} or {@code ip6.arpa} name (following CNAMEs, as classless reverse delegation uses).
     *
     * @return the name (without a final dot); fails as {@link #resolveName} does, the exception naming the
     * reverse name queried. Shard thread only.
     */
    public Future<String> resolveAddress(InetAddress address) {
        checkOwner();
        Objects.requireNonNull(address, "address");
        if (stopped) {
            return Future.failed(stoppedError());
        }
        String fromHosts = config.hosts().reverse(address);
        if (fromHosts != null) {
            return Future.ready(fromHosts);
        }
        return query(DnsNames.reverse(address), DnsRecord.PTR)
                .map(answer -> ((DnsRecord.NameRecord) answer.records().getFirst()).target());
    }

    /**
     * Fails every query in flight (with {@link IllegalStateException}), closes their sockets, empties the cache;
     * later calls fail at once. Shard thread only.
     *
     * @return a ready future
     */
    @Override
    public Future<Void> stop() {
        checkOwner();
        stopped = true;
        for (Exchange ex : List.copyOf(active)) {
            ex.fail(stoppedError());
        }
        cache.clear();
        return Future.done();
    }

    /** @return queries sent so far over UDP and TCP, every retry counted. Shard thread only. */
    public long queriesSent() {
        return queriesSent;
    }

    /** @return the queries among {@link #queriesSent()} that went over TCP. Shard thread only. */
    public long tcpQueriesSent() {
        return tcpQueriesSent;
    }

    /** @return queries answered from the cache, positive or negative. Shard thread only. */
    public long cacheHits() {
        return cacheHits;
    }

    /** @return the number of cached answers, expired ones not yet dropped included. Shard thread only. */
    public int cacheSize() {
        return cache.size();
    }

    /** Forgets every cached answer. Shard thread only. */
    public void clearCache() {
        checkOwner();
        cache.clear();
    }

    // ------------------------------------------------------------------------------------------------ names

    private static InetAddress literal(String name) {
        try {
            return SocketAddress.parseLiteral(name);
        } catch (IllegalArgumentException notALiteral) {
            return null;
        }
    }

    /** The names to try in order, by the search list and ndots rules (resolv.conf(5)). */
    private List<String> candidates(String given, String canonical) {
        if (DnsNames.isAbsolute(given) || config.search().isEmpty()) {
            return List.of(canonical);
        }
        List<String> names = new ArrayList<>(config.search().size() + 1);
        boolean asIsFirst = DnsNames.dots(given) >= config.ndots();
        if (asIsFirst) {
            names.add(canonical);
        }
        for (String domain : config.search()) {
            String candidate = canonical + "." + domain;
            try {
                DnsNames.labels(candidate);
                names.add(candidate);
            } catch (IllegalArgumentException tooLong) {
                // longer than 255 bytes with this domain: skipped, as the C library does
            }
        }
        if (!asIsFirst) {
            names.add(canonical);
        }
        return names;
    }

    private Future<List<InetAddress>> tryCandidates(String name, List<String> candidates, int i,
                                                    DnsException.ServerFailure serverFailure,
                                                    DnsException.NameNotFound notFound) {
        if (i == candidates.size()) {
            if (serverFailure != null) {
                return Future.failed(serverFailure);
            }
            // Named after what was asked, not the last candidate, with that candidate's NXDOMAIN/NODATA.
            return Future.failed(new DnsException.NameNotFound(name, notFound == null ? null : notFound.server(),
                    notFound == null || notFound.noSuchDomain()));
        }
        return addresses(candidates.get(i)).recoverWith(e -> {
            if (e instanceof DnsException.NameNotFound nf) {
                return tryCandidates(name, candidates, i + 1, serverFailure, nf);
            }
            if (e instanceof DnsException.ServerFailure sf && candidates.size() > 1 && !stopped) {
                return tryCandidates(name, candidates, i + 1, sf, notFound);
            }
            return Future.failed(e);
        });
    }

    /** The addresses of one fully qualified name, by the address preference. */
    private Future<List<InetAddress>> addresses(String fqdn) {
        return switch (config.preference()) {
            case IPV4_ONLY -> query(fqdn, DnsRecord.A).map(DnsResolver::addressesOf);
            case IPV6_ONLY -> query(fqdn, DnsRecord.AAAA).map(DnsResolver::addressesOf);
            case IPV4_FIRST -> both(query(fqdn, DnsRecord.A), query(fqdn, DnsRecord.AAAA));
            case IPV6_FIRST -> both(query(fqdn, DnsRecord.AAAA), query(fqdn, DnsRecord.A));
        };
    }

    /** Joins two queries: the addresses of both, in order; fails only when neither has any. */
    private static Future<List<InetAddress>> both(Future<Answer> first, Future<Answer> second) {
        Promise<List<InetAddress>> result = new Promise<>();
        Object[] outcome = new Object[2];
        int[] remaining = {2};
        Future<?>[] futures = {first, second};
        for (int k = 0; k < 2; k++) {
            int index = k;
            futures[k].onComplete((v, e) -> {
                outcome[index] = e != null ? e : v;
                if (--remaining[0] == 0) {
                    List<InetAddress> all = new ArrayList<>();
                    for (Object o : outcome) {
                        if (o instanceof Answer a) {
                            all.addAll(addressesOf(a));
                        }
                    }
                    if (!all.isEmpty()) {
                        result.setValue(List.copyOf(all));
                    } else {
                        result.setException(worse((Throwable) outcome[0], (Throwable) outcome[1]));
                    }
                }
            });
        }
        return result;
    }

    /** Of two failures the one that says more: anything beats "no records"; NXDOMAIN beats NODATA. */
    private static Throwable worse(Throwable a, Throwable b) {
        if (a instanceof DnsException.NameNotFound na) {
            if (b instanceof DnsException.NameNotFound nb) {
                return na.noSuchDomain() || !nb.noSuchDomain() ? na : nb;
            }
            return b;
        }
        return a;
    }

    private static List<InetAddress> addressesOf(Answer answer) {
        List<InetAddress> list = new ArrayList<>(answer.records().size());
        for (DnsRecord r : answer.records()) {
            list.add(((DnsRecord.AddressRecord) r).address());
        }
        return List.copyOf(list);
    }

    /** The hosts table's addresses filtered and ordered by the preference. */
    private List<InetAddress> preferred(List<InetAddress> addresses) {
        if (addresses.isEmpty()) {
            return addresses;
        }
        List<InetAddress> v4 = new ArrayList<>();
        List<InetAddress> v6 = new ArrayList<>();
        for (InetAddress a : addresses) {
            (a instanceof Inet4Address ? v4 : v6).add(a);
        }
        List<InetAddress> out = new ArrayList<>(addresses.size());
        switch (config.preference()) {
            case IPV4_ONLY -> out.addAll(v4);
            case IPV6_ONLY -> out.addAll(v6);
            case IPV4_FIRST -> {
                out.addAll(v4);
                out.addAll(v6);
            }
            case IPV6_FIRST -> {
                out.addAll(v6);
                out.addAll(v4);
            }
        }
        return List.copyOf(out);
    }

    // ------------------------------------------------------------------------------------------------ queries

    /** What a query yields: the records of the asked type at the end of the CNAME chain. */
    private record Answer(String canonicalName, List<DnsRecord> records, long ttlSeconds) {}

    /** A response and the server that sent it. */
    private record Reply(DnsMessage message, SocketAddress server) {}

    /** One (name, type) query: from the cache, joined to an identical one in flight, or sent. */
    private Future<Answer> query(String fqdn, int type) {
        DnsCache.Key key = DnsCache.Key.of(fqdn, type);
        Future<Answer> cached = fromCache(key, fqdn);
        if (cached != null) {
            return cached;
        }
        List<Promise<Answer>> waiters = inFlight.get(key);
        Promise<Answer> mine = new Promise<>();
        if (waiters != null) {
            waiters.add(mine);
            return mine;
        }
        List<Promise<Answer>> all = new ArrayList<>(2);
        all.add(mine);
        inFlight.put(key, all);
        Set<String> seen = new HashSet<>();
        seen.add(key.name());
        // Chased CNAME targets go through lookup, never through inFlight: two chains crossing each other's
        // names could otherwise each wait for the other.
        lookup(fqdn, type, key, config.maxCnameChain(), seen).onComplete((answer, error) -> {
            inFlight.remove(key);
            for (Promise<Answer> p : all) {
                if (error == null) {
                    p.setValue(answer);
                } else {
                    p.setException(error);
                }
            }
        });
        return mine;
    }

    /** @return the cached outcome as a done future, or null on a miss. */
    private Future<Answer> fromCache(DnsCache.Key key, String fqdn) {
        DnsCache.Entry hit = cache.get(key, LowresClock.nanos());
        if (hit == null) {
            return null;
        }
        cacheHits++;
        if (hit.isNegative()) {
            return Future.failed(new DnsException.NameNotFound(fqdn, null, hit.noSuchDomain()));
        }
        long secondsLeft = TimeUnit.NANOSECONDS.toSeconds(hit.expiresAt() - LowresClock.nanos());
        return Future.ready(new Answer(hit.canonicalName(), hit.records(), Math.max(0, secondsLeft)));
    }

    /** Asks the servers about (fqdn, type), follows the CNAME chain and caches the outcome. */
    private Future<Answer> lookup(String fqdn, int type, DnsCache.Key key, int linksLeft, Set<String> seen) {
        return exchange(fqdn, type).flatMap(reply -> interpret(fqdn, type, key, reply, linksLeft, seen));
    }

    private Future<Answer> interpret(String fqdn, int type, DnsCache.Key key, Reply reply, int linksLeft,
                                     Set<String> seen) {
        DnsMessage m = reply.message();
        String current = fqdn;
        long ttl = config.maxCacheTtl().toSeconds();
        int links = 0;
        List<DnsRecord> found = new ArrayList<>();
        while (true) {
            DnsRecord.NameRecord alias = null;
            for (DnsRecord r : m.answers()) {
                if (!DnsRecord.sameName(r.name(), current) || r instanceof DnsRecord.RawRecord) {
                    continue;
                }
                if (r.type() == type) {
                    found.add(r);
                    ttl = Math.min(ttl, r.ttl());
                } else if (r.type() == DnsRecord.CNAME && alias == null) {
                    alias = (DnsRecord.NameRecord) r;
                }
            }
            if (!found.isEmpty() || alias == null) {
                break;
            }
            if (++links > linksLeft) {
                return Future.failed(new DnsException.Malformed("CNAME chain longer than " + config.maxCnameChain()
                        + " links", fqdn, reply.server(), null));
            }
            if (!seen.add(DnsNames.key(alias.target()))) {
                return Future.failed(new DnsException.Malformed("CNAME loop through '" + alias.target() + "'", fqdn,
                        reply.server(), null));
            }
            ttl = Math.min(ttl, alias.ttl());
            current = alias.target();
        }
        long now = LowresClock.nanos();
        if (!found.isEmpty()) {
            List<DnsRecord> records = List.copyOf(found);
            cache.put(key, current, records, false, now, TimeUnit.SECONDS.toNanos(ttl));
            return Future.ready(new Answer(current, records, ttl));
        }
        long negativeTtl = Math.min(ttl, negativeTtl(m));
        if (m.rcode() == DnsMessage.NXDOMAIN) {
            cache.put(key, current, null, true, now, TimeUnit.SECONDS.toNanos(negativeTtl));
            return Future.failed(new DnsException.NameNotFound(fqdn, reply.server(), true));
        }
        if (links > 0 && negativeTtl < 0) {
            // The chain ends at a name the server gave no records and no SOA for: ask about that name itself.
            long chainTtl = ttl;
            String target = current;
            return chase(target, type, linksLeft - links, seen).flatMap(answer -> {
                long t = Math.min(chainTtl, answer.ttlSeconds());
                cache.put(key, answer.canonicalName(), answer.records(), false, LowresClock.nanos(),
                        TimeUnit.SECONDS.toNanos(t));
                return Future.ready(new Answer(answer.canonicalName(), answer.records(), t));
            });
        }
        cache.put(key, current, null, false, now, TimeUnit.SECONDS.toNanos(negativeTtl));
        return Future.failed(new DnsException.NameNotFound(fqdn, reply.server(), false));
    }

    /** @return min(SOA TTL, SOA minimum) of the authority section, bounded; -1 without an SOA (not cached). */
    private long negativeTtl(DnsMessage m) {
        for (DnsRecord r : m.authorities()) {
            if (r instanceof DnsRecord.SoaRecord soa) {
                return Math.min(config.maxNegativeTtl().toSeconds(), Math.min(soa.ttl(), soa.minimum()));
            }
        }
        return -1;
    }

    /** Follows a CNAME target: the cache, else the servers; no joining of queries in flight. */
    private Future<Answer> chase(String target, int type, int linksLeft, Set<String> seen) {
        DnsCache.Key key = DnsCache.Key.of(target, type);
        Future<Answer> cached = fromCache(key, target);
        return cached != null ? cached : lookup(target, type, key, linksLeft, seen);
    }

    // ------------------------------------------------------------------------------------------------ servers

    /** Tries the servers in turn, {@code attempts} rounds, until one gives a usable answer. */
    private Future<Reply> exchange(String fqdn, int type) {
        List<SocketAddress> servers = config.nameservers();
        int start = config.rotate() ? Math.floorMod(rotation++, servers.size()) : 0;
        return tryServer(fqdn, type, start, 0, servers.size() * config.attempts(), null);
    }

    private Future<Reply> tryServer(String fqdn, int type, int start, int i, int tries, DnsException worst) {
        if (i == tries) {
            return Future.failed(worst);
        }
        List<SocketAddress> servers = config.nameservers();
        SocketAddress server = servers.get((start + i) % servers.size());
        return Future.of(() -> attempt(fqdn, type, server, config.ednsPayloadSize())).recoverWith(e -> {
            if (stopped || !(e instanceof DnsException d)) {
                return Future.failed(e);
            }
            // A timeout says less than an error code or a malformed answer seen earlier: keep the better one.
            boolean lessSaid = d instanceof DnsException.Timeout && worst != null
                    && !(worst instanceof DnsException.Timeout);
            DnsException keep = lessSaid ? worst : d;
            return tryServer(fqdn, type, start, i + 1, tries, keep);
        });
    }

    /** One try on one server: UDP (TCP when truncated or configured), then the response code. */
    private Future<Reply> attempt(String fqdn, int type, SocketAddress server, int edns) {
        Future<Reply> sent = config.tcpOnly()
                ? tcpExchange(fqdn, type, server, edns)
                : udpExchange(fqdn, type, server, edns).flatMap(reply -> reply.message().isTruncated()
                        ? tcpExchange(fqdn, type, server, edns) : Future.ready(reply));
        return sent.flatMap(reply -> {
            int rcode = reply.message().rcode();
            if (rcode == DnsMessage.NOERROR || rcode == DnsMessage.NXDOMAIN) {
                return Future.ready(reply);
            }
            if (rcode == DnsMessage.FORMERR && edns > 0) {
                return attempt(fqdn, type, server, 0); // an old server that does not know EDNS0
            }
            return Future.failed(new DnsException.ServerFailure(rcode, fqdn, server, null));
        });
    }

    /**
     * The state of one exchange with one server: its promise, its timeout, and how to close its socket. Done
     * exactly once, by the answer, the timeout, a network error or {@link #stop()}; whichever comes first
     * cancels the timer and closes the socket, so late events find it done and drop what they carry.
     */
    private final class Exchange {
        final Promise<Reply> promise = new Promise<>();
        final Timer timer;
        Runnable closer;

        Exchange(String fqdn, SocketAddress server, String transport) {
            timer = new Timer(() -> fail(new DnsException.Timeout("no answer over " + transport + " within "
                    + config.timeout().toMillis() + " ms", fqdn, server)));
            timer.arm(config.timeout());
            active.add(this);
        }

        boolean isDone() {
            return promise.isDone();
        }

        void succeed(Reply reply) {
            if (promise.trySetValue(reply)) {
                finish();
            }
        }

        void fail(Throwable error) {
            if (promise.trySetException(error)) {
                finish();
            }
        }

        private void finish() {
            timer.cancel();
            active.remove(this);
            if (closer != null) {
                closer.run();
            }
        }
    }

    private Future<Reply> udpExchange(String fqdn, int type, SocketAddress server, int edns) {
        DnsMessage query = DnsMessage.query(random.nextInt(0x10000), fqdn, type, edns);
        byte[] wire = query.encode();
        UdpChannel channel;
        try {
            channel = stack.udpChannel(server.isIpv6() ? SocketAddress.anyIpv6(0) : SocketAddress.anyIpv4(0));
        } catch (NetException e) {
            return Future.failed(new DnsException.ServerFailure(-1, fqdn, server, e));
        }
        Exchange ex = new Exchange(fqdn, server, "UDP");
        ex.closer = channel::close;
        queriesSent++;
        Future.of(() -> channel.send(server, Packet.of(Buffer.copyOf(wire)))).onComplete((v, e) -> {
            if (e != null) {
                ex.fail(networkFailure(e, fqdn, server));
            }
        });
        receive(channel, ex, query, server);
        return ex.promise;
    }

    /** Waits for the datagram that answers {@code query}, dropping any other. */
    private void receive(UdpChannel channel, Exchange ex, DnsMessage query, SocketAddress server) {
        if (ex.isDone()) {
            return;
        }
        String fqdn = query.questions().getFirst().name();
        Future.of(channel::receive).onComplete((datagram, e) -> {
            if (e != null) {
                ex.fail(networkFailure(e, fqdn, server)); // after our own close this finds ex done
                return;
            }
            DnsMessage response = null;
            DnsException.Malformed malformed = null;
            try {
                if (!ex.isDone() && datagram.sender().equals(server)) {
                    MemorySegment bytes = datagram.data().segment();
                    if (DnsCodec.peekId(bytes) == query.id()) {
                        try {
                            response = DnsCodec.decode(bytes);
                        } catch (DnsException.Malformed m) {
                            malformed = new DnsException.Malformed("malformed response", fqdn, server, m);
                        }
                    }
                }
            } finally {
                datagram.data().release();
            }
            if (malformed != null) {
                ex.fail(malformed);
            } else if (response != null && answers(query, response)) {
                ex.succeed(new Reply(response, server));
            } else {
                receive(channel, ex, query, server); // not ours: keep waiting within the same timeout
            }
        });
    }

    /** @return true when {@code response} is a response to {@code query}: same id, a response, same question. */
    private static boolean answers(DnsMessage query, DnsMessage response) {
        if (response.id() != query.id() || !response.isResponse() || response.opcode() != 0) {
            return false;
        }
        if (response.questions().size() == 1) {
            return response.questions().getFirst().matches(query.questions().getFirst());
        }
        // FORMERR and the like may come without the question (RFC 6891 section 7).
        int rcode = response.rcode();
        return response.questions().isEmpty() && rcode != DnsMessage.NOERROR && rcode != DnsMessage.NXDOMAIN;
    }

    private Future<Reply> tcpExchange(String fqdn, int type, SocketAddress server, int edns) {
        DnsMessage query = DnsMessage.query(random.nextInt(0x10000), fqdn, type, edns);
        byte[] wire = query.encode();
        byte[] framed = new byte[wire.length + 2];
        framed[0] = (byte) (wire.length >>> 8);
        framed[1] = (byte) wire.length;
        System.arraycopy(wire, 0, framed, 2, wire.length);
        Exchange ex = new Exchange(fqdn, server, "TCP");
        queriesSent++;
        tcpQueriesSent++;
        Future.of(() -> stack.connect(server)).onComplete((socket, e) -> {
            if (e != null) {
                ex.fail(networkFailure(e, fqdn, server));
                return;
            }
            if (ex.isDone()) {
                Future.of(socket::close).ignoreFailure();
                return;
            }
            ex.closer = () -> Future.of(socket::close).ignoreFailure();
            Future.of(() -> socket.output().write(Buffer.copyOf(framed))).then(() -> socket.output().flush())
                    .onComplete((v, we) -> {
                        if (we != null) {
                            ex.fail(networkFailure(we, fqdn, server));
                        }
                    });
            readFrame(socket, ex, query, server, new Frame());
        });
        return ex.promise;
    }

    /** A length-prefixed TCP response being gathered from however many reads it takes. */
    private static final class Frame {
        byte[] bytes = new byte[514];
        int size;

        void append(Buffer b) {
            int n = b.length();
            if (size + n > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(size + n, Math.min(bytes.length * 2, 0xFFFF + 2)));
            }
            MemorySegment.copy(b.segment(), ValueLayout.JAVA_BYTE, 0, bytes, size, n);
            size += n;
        }

        /** @return the message length from the prefix, or -1 before two bytes arrived. */
        int expected() {
            return size < 2 ? -1 : ((bytes[0] & 0xFF) << 8) | (bytes[1] & 0xFF);
        }

        boolean complete() {
            int want = expected();
            return want >= 0 && size >= want + 2;
        }
    }

    private void readFrame(ConnectedSocket socket, Exchange ex, DnsMessage query, SocketAddress server, Frame frame) {
        String fqdn = query.questions().getFirst().name();
        Future.of(() -> socket.input().read()).onComplete((buffer, e) -> {
            if (e != null) {
                ex.fail(networkFailure(e, fqdn, server));
                return;
            }
            boolean eof = buffer.isEmpty();
            try {
                if (!ex.isDone() && !eof) {
                    frame.append(buffer);
                }
            } finally {
                buffer.release();
            }
            if (ex.isDone()) {
                return;
            }
            if (eof) {
                ex.fail(new DnsException.Malformed("connection closed after " + frame.size + " bytes of the response",
                        fqdn, server, null));
                return;
            }
            if (!frame.complete()) {
                readFrame(socket, ex, query, server, frame);
                return;
            }
            DnsMessage response;
            try {
                response = DnsCodec.decode(MemorySegment.ofArray(frame.bytes).asSlice(2, frame.expected()));
            } catch (DnsException.Malformed m) {
                ex.fail(new DnsException.Malformed("malformed response over TCP", fqdn, server, m));
                return;
            }
            if (answers(query, response)) {
                ex.succeed(new Reply(response, server));
            } else {
                // Nobody else writes on this connection: a mismatch is the server's fault, not a forgery.
                ex.fail(new DnsException.Malformed("TCP response does not match the query", fqdn, server, null));
            }
        });
    }

    private static Throwable networkFailure(Throwable e, String fqdn, SocketAddress server) {
        return e instanceof NetException ? new DnsException.ServerFailure(-1, fqdn, server, e) : e;
    }

    private static IllegalStateException stoppedError() {
        return new IllegalStateException("DNS resolver stopped");
    }

    private void checkOwner() {
        assert reactor.isOwnerThread() : "DnsResolver of shard " + reactor.shardId() + " used from another thread";
    }
}
