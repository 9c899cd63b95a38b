package io.percore.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.net.SocketAddress;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** resolv.conf and hosts parsing, the bounds the C library applies, and loading the files. */
class DnsConfigTest {
    static InetAddress ip(String s) {
        return SocketAddress.parseLiteral(s);
    }

    @Test
    void resolvConfGivesServersSearchListAndOptions() {
        DnsConfig c = DnsConfig.parse("""
                # a comment
                ; another comment
                nameserver 192.0.2.53
                nameserver   2001:db8::53
                domain ignored.example
                search corp.example  lab.example
                options ndots:2 timeout:3 attempts:4 rotate edns0 use-vc unknown-option
                sortlist 10.0.0.0/255.0.0.0
                """, "");
        assertEquals(List.of(SocketAddress.of("192.0.2.53", 53), SocketAddress.of("2001:db8::53", 53)),
                c.nameservers());
        assertEquals(List.of("corp.example", "lab.example"), c.search(), "the last of domain/search wins");
        assertEquals(2, c.ndots());
        assertEquals(Duration.ofSeconds(3), c.timeout());
        assertEquals(4, c.attempts());
        assertTrue(c.rotate());
        assertTrue(c.tcpOnly());
        assertEquals(DnsConfig.EDNS_PAYLOAD_SIZE, c.ednsPayloadSize());
    }

    @Test
    void domainAfterSearchWinsAndAtMostThreeServersCount() {
        DnsConfig c = DnsConfig.parse("""
                search a.example b.example
                domain c.example
                nameserver 10.0.0.1
                nameserver not-an-address
                nameserver 10.0.0.2
                nameserver 10.0.0.3
                nameserver 10.0.0.4
                """, "");
        assertEquals(List.of("c.example"), c.search());
        assertEquals(List.of(SocketAddress.of("10.0.0.1", 53), SocketAddress.of("10.0.0.2", 53),
                SocketAddress.of("10.0.0.3", 53)), c.nameservers(), "bad lines skipped, then MAXNS = 3");
    }

    @Test
    void optionsAreClampedAsTheCLibraryDoesAndMalformedOnesIgnored() {
        DnsConfig c = DnsConfig.parse("options ndots:99 timeout:0 attempts:100\n", "");
        assertEquals(15, c.ndots());
        assertEquals(Duration.ofSeconds(1), c.timeout());
        assertEquals(5, c.attempts());
        DnsConfig d = DnsConfig.parse("options ndots:x timeout: attempts:-3\n", "");
        assertEquals(1, d.ndots(), "unparsable: the default stays");
        assertEquals(Duration.ofSeconds(5), d.timeout());
        assertEquals(1, d.attempts(), "negative: clamped to the minimum");
    }

    @Test
    void anEmptyFileMeansTheDefaults() {
        DnsConfig c = DnsConfig.parse("", "");
        DnsConfig d = DnsConfig.defaults();
        assertEquals(List.of(SocketAddress.of("127.0.0.1", 53)), c.nameservers());
        assertEquals(d.nameservers(), c.nameservers());
        assertEquals(List.of(), c.search());
        assertEquals(1, c.ndots());
        assertEquals(Duration.ofSeconds(5), c.timeout());
        assertEquals(2, c.attempts());
        assertFalse(c.rotate());
        assertFalse(c.tcpOnly());
        assertEquals(0, c.ednsPayloadSize());
        assertEquals(DnsConfig.AddressPreference.IPV4_FIRST, c.preference());
    }

    @Test
    void withersChangeOneThingAndCheckIt() {
        DnsConfig c = DnsConfig.defaults().withNdots(3).withCacheSize(0).withSearch(List.of("X.Example."));
        assertEquals(3, c.ndots());
        assertEquals(0, c.cacheSize());
        assertEquals(List.of("X.Example"), c.search(), "canonical form: no final dot");
        assertEquals(DnsConfig.defaults().timeout(), c.timeout());
        assertThrows(IllegalArgumentException.class, () -> c.withNameservers(List.of()));
        assertThrows(IllegalArgumentException.class, () -> c.withAttempts(0));
        assertThrows(IllegalArgumentException.class, () -> c.withTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> c.withEdns(100));
        assertThrows(IllegalArgumentException.class, () -> c.withSearch(List.of("a..b")));
    }

    @Test
    void hostsFileMapsNamesAndAliasesBothWays() {
        HostsFile h = HostsFile.parse("""
                127.0.0.1   localhost
                ::1         localhost ip6-localhost   # comment after names
                10.0.0.5    DB.corp.example db
                10.0.0.6    db.corp.example
                # 10.0.0.7  commented.example
                300.1.1.1   bad.example
                fe80::1%1   linklocal.example
                10.0.0.8
                2001:db8::5 web.example
                """);
        assertEquals(List.of(ip("127.0.0.1"), ip("::1")), h.lookup("localhost"));
        assertEquals(List.of(ip("10.0.0.5"), ip("10.0.0.6")), h.lookup("db.CORP.example."), "case, final dot, order");
        assertEquals(List.of(ip("10.0.0.5")), h.lookup("db"));
        assertEquals(List.of(), h.lookup("commented.example"));
        assertEquals(List.of(), h.lookup("bad.example"), "a line with an invalid address is skipped");
        assertEquals(List.of(ip("2001:db8::5")), h.lookup("web.example"));
        assertEquals("DB.corp.example", h.reverse(ip("10.0.0.5")), "the canonical name, as written");
        assertEquals("localhost", h.reverse(ip("::1")));
        assertNull(h.reverse(ip("10.9.9.9")));
        assertEquals(0, HostsFile.empty().size());
    }

    @Test
    void loadReadsTheFilesAndTreatsMissingOnesAsEmpty(@TempDir Path dir) throws Exception {
        Path resolv = dir.resolve("resolv.conf");
        Path hosts = dir.resolve("hosts");
        Files.writeString(resolv, "nameserver 192.0.2.1\nsearch example.org\n");
        Files.writeString(hosts, "192.0.2.80 www.example.org\n");
        DnsConfig c = DnsConfig.load(resolv, hosts);
        assertEquals(List.of(SocketAddress.of("192.0.2.1", 53)), c.nameservers());
        assertEquals(List.of(ip("192.0.2.80")), c.hosts().lookup("www.example.org"));
        DnsConfig missing = DnsConfig.load(dir.resolve("nope"), dir.resolve("nope2"));
        assertEquals(DnsConfig.defaults().nameservers(), missing.nameservers());
        assertEquals(0, missing.hosts().size());
    }
}
