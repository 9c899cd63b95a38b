package io.percore.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.net.NetworkStack;
import io.percore.net.SocketAddress;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resolver against a real DNS server: dnsmasq on 127.0.0.1, started by the suite with its own names. Written
 * once and run over each network stack (Netty's "one suite, many transports"): a subclass says how a shard gets
 * its stack. Needs the dnsmasq binary (Debian package dnsmasq-base; .ci/run installs it).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DnsmasqSuite extends DnsShardTestBase {
    static final int BIG = 40; // A records of big.test: 40 * 16 bytes do not fit 512, do fit 1232

    Dnsmasq dnsmasq;
    /** Why the suite cannot run here, or null. Each test is reported skipped with it. */
    String unavailable;

    /** @return why this stack cannot run in this build, or null when it can. JUnit thread. */
    abstract String stackUnavailable();

    /** @return a network stack for the calling shard. Shard thread. */
    abstract NetworkStack newStack() throws Exception;

    /** Releases what {@link #newStack()} made. Shard thread. */
    abstract void closeStack(NetworkStack stack) throws Exception;

    @BeforeAll
    void startDnsmasq(@TempDir Path dir) throws Exception {
        unavailable = stackUnavailable();
        if (unavailable == null && Dnsmasq.binary() == null) {
            unavailable = "dnsmasq is not installed: apt-get install dnsmasq-base (.ci/run does)";
        }
        if (unavailable != null) {
            return;
        }
        Path hosts = dir.resolve("hosts");
        Files.writeString(hosts, """
                10.1.2.3 alpha.test
                fd00::5  alpha.test
                10.1.2.4 beta.test beta-alias.test
                """);
        List<String> args = new ArrayList<>(List.of(
                "--addn-hosts=" + hosts,
                "--local=/test/",                    // unknown names under test. are NXDOMAIN, never forwarded
                "--local-ttl=60",                    // answers from local data carry TTL 60 (default 0)
                "--cname=www.test,web.test",
                "--cname=web.test,alpha.test",
                "--host-record=gamma.test,10.1.2.5,fd00::6",
                "--ptr-record=9.9.10.10.in-addr.arpa,ptr-only.test"));
        for (int i = 1; i <= BIG; i++) {
            args.add("--host-record=big.test,10.0.0." + i);
        }
        dnsmasq = Dnsmasq.start(dir, args);
    }

    @BeforeEach
    void skipWhenUnavailable() {
        Assumptions.assumeTrue(unavailable == null, () -> unavailable);
    }

    @AfterAll
    void stopDnsmasq() throws Exception {
        if (dnsmasq != null) {
            dnsmasq.close();
        }
    }

    DnsConfig config() {
        return DnsConfig.defaults().withNameservers(List.of(SocketAddress.of("127.0.0.1", dnsmasq.port())))
                .withTimeout(Duration.ofSeconds(2)).withAttempts(2);
    }

    /** Runs {@code body} on shard 0 with a resolver over a fresh stack. */
    void withResolver(DnsConfig config, ResolverBody body) {
        onShard(() -> {
            NetworkStack stack = newStack();
            try {
                DnsResolver r = new DnsResolver(stack, config);
                try {
                    body.run(r);
                } finally {
                    await(r.stop());
                }
            } finally {
                closeStack(stack);
            }
        });
    }

    @FunctionalInterface
    interface ResolverBody {
        void run(DnsResolver r) throws Exception;
    }

    static InetAddress ip(String s) {
        return SocketAddress.parseLiteral(s);
    }

    @Test
    void resolvesAAndAaaaInPreferenceOrder() {
        withResolver(config(), r -> {
            assertEquals(List.of(ip("10.1.2.3"), ip("fd00::5")), await(r.resolveName("alpha.test")));
            assertEquals(List.of(ip("10.1.2.5"), ip("fd00::6")), await(r.resolveName("gamma.test")));
        });
        withResolver(config().withPreference(DnsConfig.AddressPreference.IPV6_ONLY), r ->
                assertEquals(List.of(ip("fd00::5")), await(r.resolveName("ALPHA.test."))));
    }

    @Test
    void followsTheServersCnameChain() {
        withResolver(config().withPreference(DnsConfig.AddressPreference.IPV4_ONLY), r -> {
            assertEquals(List.of(ip("10.1.2.3")), await(r.resolveName("www.test")));
            assertEquals(1, r.queriesSent(), "dnsmasq gives the whole chain in one answer");
        });
    }

    @Test
    void unknownNamesAreNxdomainAndNamesWithoutTheFamilyAreNodata() {
        withResolver(config(), r -> {
            DnsException.NameNotFound nx = assertInstanceOf(DnsException.NameNotFound.class,
                    failureOf(r.resolveName("nothing-" + ThreadLocalRandom.current().nextInt(1000000) + ".test")));
            assertTrue(nx.noSuchDomain());
            assertEquals(SocketAddress.of("127.0.0.1", dnsmasq.port()), nx.server());
        });
        withResolver(config().withPreference(DnsConfig.AddressPreference.IPV6_ONLY), r -> {
            DnsException.NameNotFound noData = assertInstanceOf(DnsException.NameNotFound.class,
                    failureOf(r.resolveName("beta.test")));
            assertFalse(noData.noSuchDomain(), "beta.test has an A record, no AAAA");
        });
    }

    @Test
    void aRefusedQueryIsAServerFailure() {
        withResolver(config().withAttempts(1), r -> {
            DnsException.ServerFailure sf = assertInstanceOf(DnsException.ServerFailure.class,
                    failureOf(r.resolveName("example.invalid")));
            assertEquals(DnsMessage.REFUSED, sf.rcode(), "no upstream servers: dnsmasq refuses names it does not own");
        });
    }

    @Test
    void aTruncatedAnswerIsFetchedOverTcpAndEdnsAvoidsIt() {
        withResolver(config().withPreference(DnsConfig.AddressPreference.IPV4_ONLY), r -> {
            List<InetAddress> all = await(r.resolveName("big.test"));
            assertEquals(BIG, all.size());
            assertEquals(1, r.tcpQueriesSent(), "512 bytes were not enough: TC, then TCP");
            assertEquals(2, r.queriesSent());
        });
        withResolver(config().withPreference(DnsConfig.AddressPreference.IPV4_ONLY).withEdns(1232), r -> {
            assertEquals(BIG, await(r.resolveName("big.test")).size());
            assertEquals(0, r.tcpQueriesSent(), "with EDNS0 the answer fits a datagram");
        });
    }

    @Test
    void resolvesAddressesBack() {
        withResolver(config(), r -> {
            assertEquals("alpha.test", await(r.resolveAddress(ip("10.1.2.3"))));
            assertEquals("gamma.test", await(r.resolveAddress(ip("fd00::6"))));
            assertEquals("ptr-only.test", await(r.resolveAddress(ip("10.10.9.9"))));
        });
    }

    @Test
    void theSearchListFindsShortNames() {
        withResolver(config().withSearch(List.of("nowhere.test", "test")).withPreference(
                DnsConfig.AddressPreference.IPV4_ONLY), r -> {
            assertEquals(List.of(ip("10.1.2.4")), await(r.resolveName("beta-alias")));
            assertEquals(2, r.queriesSent(), "beta-alias.nowhere.test (NXDOMAIN), then beta-alias.test");
        });
    }

    @Test
    void answersAreCachedPerShard() throws Exception {
        long before = dnsmasq.queriesLogged();
        withResolver(config().withPreference(DnsConfig.AddressPreference.IPV4_ONLY), r -> {
            for (int i = 0; i < 5; i++) {
                assertEquals(List.of(ip("10.1.2.4")), await(r.resolveName("beta.test")));
            }
            assertEquals(1, r.queriesSent());
            assertEquals(4, r.cacheHits());
        });
        assertEquals(1, dnsmasq.queriesLogged() - before, "the server saw one query");
    }

    @Test
    void aDeadFirstServerCostsOneTimeoutThenTheSecondAnswers() throws Exception {
        int deadPort;
        try (java.net.DatagramSocket unused = new java.net.DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            deadPort = unused.getLocalPort(); // free once closed: nothing listens there
        }
        DnsConfig c = config().withNameservers(List.of(SocketAddress.of("127.0.0.1", deadPort),
                SocketAddress.of("127.0.0.1", dnsmasq.port()))).withTimeout(Duration.ofMillis(300)).withAttempts(1)
                .withPreference(DnsConfig.AddressPreference.IPV4_ONLY);
        withResolver(c, r -> {
            long start = System.nanoTime();
            assertEquals(List.of(ip("10.1.2.3")), await(r.resolveName("alpha.test")));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms >= 250 && ms < 10_000, "one 300 ms timeout first, took " + ms + " ms");
            assertEquals(2, r.queriesSent());
        });
    }
}
