package io.percore.dns;

import io.percore.core.Future;
import io.percore.core.Offload;
import io.percore.net.SocketAddress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link DnsResolver} needs to know: the name servers and search list of {@code /etc/resolv.conf}
 * (resolv.conf(5)), the static table of {@code /etc/hosts}, and percore's own choices (which address families
 * to ask for, the cache's size and TTL bounds, the CNAME chain limit, EDNS0).
 *
 * <p>Reading the two files is blocking I/O, so it never happens on a shard by itself: {@link #load()} reads them
 * on the calling thread (start-up code, before the shards run, or a helper thread), {@link #loadAsync()} does
 * the same through {@link Offload} and completes on the calling shard. Parsing ({@link #parse}) does no I/O.
 * The files are read once; a resolver does not watch them for changes.
 *
 * <p>From resolv.conf this reads {@code nameserver} (IPv4 or IPv6, at most 3 as in the C library, port 53),
 * {@code search} and {@code domain} (the last one wins), and {@code options ndots:N timeout:N attempts:N rotate
 * use-vc edns0} with the C library's bounds (ndots ≤ 15, timeout ≤ 30 s, attempts ≤ 5); anything else is
 * ignored. Without any name server it uses 127.0.0.1, as the C library does.
 *
 * <p>Immutable; the {@code with*} methods return a changed copy. Any thread.
 */
public final class DnsConfig {
    /** The C library's limit on name servers (MAXNS). */
    public static final int MAX_NAMESERVERS = 3;
    /** The payload size advertised with {@code options edns0}: the DNS flag day 2020 value that avoids fragments. */
    public static final int EDNS_PAYLOAD_SIZE = 1232;

    /** Which address records {@link DnsResolver#resolveName} asks for, and in which order it returns them. */
    public enum AddressPreference {
        /** A records only. */
        IPV4_ONLY,
        /** AAAA records only. */
        IPV6_ONLY,
        /** A and AAAA (asked at the same time), IPv4 addresses first. */
        IPV4_FIRST,
        /** A and AAAA (asked at the same time), IPv6 addresses first. */
        IPV6_FIRST
    }

    private final List<SocketAddress> nameservers;
    private final List<String> search;
    private final int ndots;
    private final Duration timeout;
    private final int attempts;
    private final boolean rotate;
    private final boolean tcpOnly;
    private final int ednsPayloadSize;
    private final HostsFile hosts;
    private final AddressPreference preference;
    private final int cacheSize;
    private final Duration maxCacheTtl;
    private final Duration maxNegativeTtl;
    private final int maxCnameChain;

    private DnsConfig(List<SocketAddress> nameservers, List<String> search, int ndots, Duration timeout, int attempts,
                      boolean rotate, boolean tcpOnly, int ednsPayloadSize, HostsFile hosts,
                      AddressPreference preference, int cacheSize, Duration maxCacheTtl, Duration maxNegativeTtl,
                      int maxCnameChain) {
        if (nameservers.isEmpty()) {
            throw new IllegalArgumentException("at least one name server is needed");
        }
        if (ndots < 0 || attempts < 1 || cacheSize < 0 || maxCnameChain < 0) {
            throw new IllegalArgumentException("ndots, cacheSize and maxCnameChain must not be negative, attempts positive");
        }
        if (timeout.isNegative() || timeout.isZero() || maxCacheTtl.isNegative() || maxNegativeTtl.isNegative()) {
            throw new IllegalArgumentException("timeout must be positive, TTL bounds not negative");
        }
        if (ednsPayloadSize != 0 && (ednsPayloadSize < 512 || ednsPayloadSize > 0xFFFF)) {
            throw new IllegalArgumentException("EDNS payload size must be 0 (off) or 512 to 65535, got " + ednsPayloadSize);
        }
        List<String> canonicalSearch = new ArrayList<>(search.size());
        for (String domain : search) {
            canonicalSearch.add(DnsNames.canonical(domain));
        }
        this.nameservers = List.copyOf(nameservers);
        this.search = List.copyOf(canonicalSearch);
        this.ndots = ndots;
        this.timeout = timeout;
        this.attempts = attempts;
        this.rotate = rotate;
        this.tcpOnly = tcpOnly;
        this.ednsPayloadSize = ednsPayloadSize;
        this.hosts = Objects.requireNonNull(hosts, "hosts");
        this.preference = Objects.requireNonNull(preference, "preference");
        this.cacheSize = cacheSize;
        this.maxCacheTtl = maxCacheTtl;
        this.maxNegativeTtl = maxNegativeTtl;
        this.maxCnameChain = maxCnameChain;
    }

    /**
     * @return the C library's defaults (127.0.0.1:53, no search list, ndots 1, timeout 5 s, 2 attempts, UDP
     * with TCP when truncated, no EDNS0), no hosts entries, both address families with IPv4 first, a cache of
     * 1024 answers kept at most 1 hour (negative ones 5 minutes), CNAME chains of at most 8 links
     */
    public static DnsConfig defaults() {
        return new DnsConfig(List.of(SocketAddress.of("127.0.0.1", 53)), List.of(), 1, Duration.ofSeconds(5), 2,
                false, false, 0, HostsFile.empty(), AddressPreference.IPV4_FIRST, 1024, Duration.ofHours(1),
                Duration.ofMinutes(5), 8);
    }

    /**
     * @param resolvConf the contents of a resolv.conf file
     * @param hostsFile  the contents of a hosts file
     * @return the defaults changed by what the two texts say. Does no I/O.
     */
    public static DnsConfig parse(String resolvConf, String hostsFile) {
        List<SocketAddress> servers = new ArrayList<>();
        List<String> search = List.of();
        int ndots = 1;
        int timeoutSeconds = 5;
        int attempts = 2;
        boolean rotate = false;
        boolean tcpOnly = false;
        int edns = 0;
        for (String rawLine : resolvConf.split("\n", -1)) {
            String line = rawLine.strip();
            if (line.isEmpty() || line.charAt(0) == '#' || line.charAt(0) == ';') {
                continue;
            }
            String[] f = line.split("\\s+");
            switch (f[0]) {
                case "nameserver" -> {
                    if (f.length >= 2 && servers.size() < MAX_NAMESERVERS) {
                        try {
                            servers.add(new SocketAddress(SocketAddress.parseLiteral(f[1]), 53));
                        } catch (IllegalArgumentException e) {
                            // not an address literal: the C library skips such a line as well
                        }
                    }
                }
                case "domain" -> search = f.length >= 2 ? validDomains(List.of(f[1])) : List.of();
                case "search" -> search = validDomains(List.of(f).subList(1, f.length));
                case "options" -> {
                    for (int i = 1; i < f.length; i++) {
                        String o = f[i];
                        if (o.startsWith("ndots:")) {
                            ndots = number(o, ndots, 0, 15);
                        } else if (o.startsWith("timeout:")) {
                            timeoutSeconds = number(o, timeoutSeconds, 1, 30);
                        } else if (o.startsWith("attempts:")) {
                            attempts = number(o, attempts, 1, 5);
                        } else if (o.equals("rotate")) {
                            rotate = true;
                        } else if (o.equals("use-vc")) {
                            tcpOnly = true;
                        } else if (o.equals("edns0")) {
                            edns = EDNS_PAYLOAD_SIZE;
                        }
                    }
                }
                default -> {
                    // sortlist and unknown keywords do not change how we resolve
                }
            }
        }
        if (servers.isEmpty()) {
            servers.add(SocketAddress.of("127.0.0.1", 53));
        }
        DnsConfig d = defaults();
        return new DnsConfig(servers, search, ndots, Duration.ofSeconds(timeoutSeconds), attempts, rotate, tcpOnly,
                edns, HostsFile.parse(hostsFile), d.preference, d.cacheSize, d.maxCacheTtl, d.maxNegativeTtl,
                d.maxCnameChain);
    }

    private static List<String> validDomains(List<String> domains) {
        List<String> valid = new ArrayList<>();
        for (String d : domains) {
            try {
                String c = DnsNames.canonical(d);
                if (!c.isEmpty()) {
                    valid.add(c);
                }
            } catch (IllegalArgumentException e) {
                // a domain we could never query is left out rather than failing every lookup
            }
        }
        return valid;
    }

    /** Parses "key:N", clamping as the C library does; a malformed number keeps the old value. */
    private static int number(String option, int current, int min, int max) {
        try {
            int v = Integer.parseInt(option.substring(option.indexOf(':') + 1));
            return Math.max(min, Math.min(max, v));
        } catch (NumberFormatException e) {
            return current;
        }
    }

    /**
     * Reads {@code /etc/resolv.conf} and {@code /etc/hosts}. Blocking file I/O: call it before the shards start
     * or off them; on a shard use {@link #loadAsync()}. A missing file counts as empty.
     *
     * @throws UncheckedIOException when a file exists but cannot be read
     */
    public static DnsConfig load() {
        return load(Path.of("/etc/resolv.conf"), Path.of("/etc/hosts"));
    }

    /** Like {@link #load()} with other paths (blocking; not on a shard). */
    public static DnsConfig load(Path resolvConf, Path hostsFile) {
        return parse(readOrEmpty(resolvConf), readOrEmpty(hostsFile));
    }

    /**
     * Reads the two files on an {@link Offload} helper thread. Shard thread only.
     *
     * @return a future completed on the calling shard
     */
    public static Future<DnsConfig> loadAsync() {
        return Offload.run(DnsConfig::load);
    }

    private static String readOrEmpty(Path path) {
        try {
            return Files.readString(path, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    // ------------------------------------------------------------------------------------------------ accessors

    /** @return the servers to ask, in order (rotated per query with {@link #rotate()}). */
    public List<SocketAddress> nameservers() {
        return nameservers;
    }

    /** @return the domains appended to names with fewer than {@link #ndots()} dots, in order. */
    public List<String> search() {
        return search;
    }

    /** @return a name with at least this many dots is first tried as it is, before the search list. */
    public int ndots() {
        return ndots;
    }

    /** @return how long one try on one server waits for its answer. */
    public Duration timeout() {
        return timeout;
    }

    /** @return how many rounds over all the servers a query makes before it gives up. */
    public int attempts() {
        return attempts;
    }

    /** @return true to start each query at the next server (spreading load), false to always start at the first. */
    public boolean rotate() {
        return rotate;
    }

    /** @return true to use TCP for every query (resolv.conf's use-vc). */
    public boolean tcpOnly() {
        return tcpOnly;
    }

    /** @return the EDNS0 UDP payload size to advertise, or 0 to send no OPT record. */
    public int ednsPayloadSize() {
        return ednsPayloadSize;
    }

    /** @return the static table consulted before any query. */
    public HostsFile hosts() {
        return hosts;
    }

    /** @return which address families to ask for. */
    public AddressPreference preference() {
        return preference;
    }

    /** @return the most answers a shard's cache keeps (least recently used go first); 0 disables the cache. */
    public int cacheSize() {
        return cacheSize;
    }

    /** @return the longest a positive answer is cached, whatever its TTL. */
    public Duration maxCacheTtl() {
        return maxCacheTtl;
    }

    /** @return the longest a negative answer (NXDOMAIN, NODATA) is cached, whatever its SOA says. */
    public Duration maxNegativeTtl() {
        return maxNegativeTtl;
    }

    /** @return the most CNAME links followed from the name asked to the name that has the records. */
    public int maxCnameChain() {
        return maxCnameChain;
    }

    // ------------------------------------------------------------------------------------------------ copies

    /** @return a copy asking {@code servers} (at least one; any port). */
    public DnsConfig withNameservers(List<SocketAddress> servers) {
        return new DnsConfig(servers, search, ndots, timeout, attempts, rotate, tcpOnly, ednsPayloadSize, hosts,
                preference, cacheSize, maxCacheTtl, maxNegativeTtl, maxCnameChain);
    }

    /**
     * @return a copy with another search list
     * @throws IllegalArgumentException when a domain is not a valid DNS name
     */
    public DnsConfig withSearch(List<String> domains) {
        return new DnsConfig(nameservers, domains, ndots, timeout, attempts, rotate, tcpOnly, ednsPayloadSize, hosts,
                preference, cacheSize, maxCacheTtl, maxNegativeTtl, maxCnameChain);
    }

    /** @return a copy with another ndots threshold. */
    public DnsConfig withNdots(int n) {
        return new DnsConfig(nameservers, search, n, timeout, attempts, rotate, tcpOnly, ednsPayloadSize, hosts,
                preference, cacheSize, maxCacheTtl, maxNegativeTtl, maxCnameChain);
    }

    /** @return a copy with another per-try timeout. */
    public DnsConfig withTimeout(Duration perTry) {
        return new DnsConfig(nameservers, search, ndots, perTry, attempts, rotate, tcpOnly, ednsPayloadSize, hosts,
                preference, cacheSize, maxCacheTtl, maxNegativeTtl, maxCnameChain);
    }

    /** @return a copy making {@code rounds} rounds over the servers. */
    public DnsConfig withAttempts(int rounds) {
        return new DnsConfig(nameservers, search, ndots, timeout, rounds, rotate, tcpOnly, ednsPayloadSize, hosts,
                preference, cacheSize, maxCacheTtl, maxNegativeTtl, maxCnameChain);
    }

    /** @return a copy that rotates (or not) the first server of each query. */
    public DnsConfig withRotate(boolean on) {
        return new DnsConfig(nameservers, search, ndots, timeout, attempts, on, tcpOnly, ednsPayloadSize, hosts,
                preference, cacheSize, maxCacheTtl, maxNegativeTtl, maxCnameChain);
    }

    /** @return a copy that uses TCP only (or UDP first). */
    public DnsConfig withTcpOnly(boolean on) {
        return new DnsConfig(nameservers, search, ndots, timeout, attempts, rotate, on, ednsPayloadSize, hosts,
                preference, cacheSize, maxCacheTtl, maxNegativeTtl, maxCnameChain);
    }

    /** @return a copy advertising {@code payloadSize} with EDNS0 (512 to 65535), or sending no OPT record (0). */
    public DnsConfig withEdns(int payloadSize) {
        return new DnsConfig(nameservers, search, ndots, timeout, attempts, rotate, tcpOnly, payloadSize, hosts,
                preference, cacheSize, maxCacheTtl, maxNegativeTtl, maxCnameChain);
    }

    /** @return a copy with another static table. */
    public DnsConfig withHosts(HostsFile table) {
        return new DnsConfig(nameservers, search, ndots, timeout, attempts, rotate, tcpOnly, ednsPayloadSize, table,
                preference, cacheSize, maxCacheTtl, maxNegativeTtl, maxCnameChain);
    }

    /** @return a copy asking for other address families. */
    public DnsConfig withPreference(AddressPreference p) {
        return new DnsConfig(nameservers, search, ndots, timeout, attempts, rotate, tcpOnly, ednsPayloadSize, hosts,
                p, cacheSize, maxCacheTtl, maxNegativeTtl, maxCnameChain);
    }

    /** @return a copy with another cache size (0: no cache). */
    public DnsConfig withCacheSize(int entries) {
        return new DnsConfig(nameservers, search, ndots, timeout, attempts, rotate, tcpOnly, ednsPayloadSize, hosts,
                preference, entries, maxCacheTtl, maxNegativeTtl, maxCnameChain);
    }

    /** @return a copy with other bounds on how long answers are cached. */
    public DnsConfig withMaxCacheTtl(Duration positive, Duration negative) {
        return new DnsConfig(nameservers, search, ndots, timeout, attempts, rotate, tcpOnly, ednsPayloadSize, hosts,
                preference, cacheSize, positive, negative, maxCnameChain);
    }

    /** @return a copy following at most {@code links} CNAMEs. */
    public DnsConfig withMaxCnameChain(int links) {
        return new DnsConfig(nameservers, search, ndots, timeout, attempts, rotate, tcpOnly, ednsPayloadSize, hosts,
                preference, cacheSize, maxCacheTtl, maxNegativeTtl, links);
    }

    @Override
    public String toString() {
        return "DnsConfig[nameservers=" + nameservers + ", search=" + search + ", ndots=" + ndots + ", timeout="
                + timeout + ", attempts=" + attempts + ", rotate=" + rotate + ", tcpOnly=" + tcpOnly + ", edns="
                + ednsPayloadSize + ", " + hosts + ", " + preference + ", cache=" + cacheSize + "]";
    }
}
