package io.percore.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Timer;
import io.percore.net.NetException;
import io.percore.net.SocketAddress;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The resolver's logic against scripted servers on the in-memory {@link FakeNetwork}: answers, families, CNAME
 * chains, failures and retries, forged and malformed datagrams, TCP fallback, cache, coalescing, search list,
 * reverse lookups, stop. Every test also checks that the resolver closed every socket it opened.
 */
class DnsResolverTest extends DnsShardTestBase {
    static final String S1 = "192.0.2.1";
    static final String S2 = "192.0.2.2";

    static InetAddress ip(String literal) {
        return SocketAddress.parseLiteral(literal);
    }

    static List<InetAddress> ips(String... literals) {
        List<InetAddress> list = new ArrayList<>();
        for (String l : literals) {
            list.add(ip(l));
        }
        return list;
    }

    /** Defaults for the tests: a timeout that only a silent server reaches (a loaded machine may pause a shard for
     * a good part of a second), one round, IPv4 only unless a test says otherwise. */
    static DnsConfig config(FakeNetwork.Server... servers) {
        List<SocketAddress> addresses = new ArrayList<>();
        for (FakeNetwork.Server s : servers) {
            addresses.add(s.address);
        }
        return DnsConfig.defaults().withNameservers(addresses).withTimeout(Duration.ofSeconds(1)).withAttempts(1)
                .withPreference(DnsConfig.AddressPreference.IPV4_ONLY);
    }

    static void assertAllClosed(FakeNetwork net) {
        assertEquals(0, net.channelsOpen, "UDP sockets left open");
        assertEquals(0, net.connectionsOpen, "TCP connections left open");
    }

    /** Lets late timers and deliveries run, so that leaks and late callbacks show. */
    static void settle(Duration d) {
        await(Timer.sleep(d));
    }

    // ------------------------------------------------------------------------------------------------ answers

    @Test
    void resolvesAnARecordWithOneRecursiveQueryAndClosesItsSocket() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server s = net.server(S1, new TestZone().a("host.test", "10.0.0.1").a("host.test", "10.0.0.2"));
            DnsResolver r = new DnsResolver(net, config(s));
            assertEquals(ips("10.0.0.1", "10.0.0.2"), await(r.resolveName("host.test")));
            assertEquals(1, s.udpQueries.size());
            DnsMessage q = s.udpQueries.getFirst();
            assertEquals(DnsQuestion.of("host.test", DnsRecord.A), q.questions().getFirst());
            assertEquals(DnsMessage.FLAG_RD, q.flags(), "a standard recursive query");
            assertNull(q.opt(), "no EDNS0 unless configured");
            assertEquals(1, r.queriesSent());
            assertEquals(1, net.channelsOpened);
            assertAllClosed(net);
        });
    }

    @Test
    void asksForBothFamiliesAtOnceAndOrdersThemByPreference() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            TestZone zone = new TestZone().a("dual.test", "10.0.0.1").a("dual.test", "2001:db8::1");
            FakeNetwork.Server s = net.server(S1, zone);
            DnsResolver v4First = new DnsResolver(net, config(s).withPreference(DnsConfig.AddressPreference.IPV4_FIRST));
            assertEquals(ips("10.0.0.1", "2001:db8::1"), await(v4First.resolveName("dual.test")));
            DnsResolver v6First = new DnsResolver(net, config(s).withPreference(DnsConfig.AddressPreference.IPV6_FIRST));
            assertEquals(ips("2001:db8::1", "10.0.0.1"), await(v6First.resolveName("dual.test")));
            DnsResolver v6Only = new DnsResolver(net, config(s).withPreference(DnsConfig.AddressPreference.IPV6_ONLY));
            assertEquals(ips("2001:db8::1"), await(v6Only.resolveName("dual.test")));
            Set<Integer> types = new HashSet<>();
            s.udpQueries.forEach(q -> types.add(q.questions().getFirst().type()));
            assertEquals(Set.of(DnsRecord.A, DnsRecord.AAAA), types);
            assertEquals(5, s.udpQueries.size(), "2 + 2 + 1");
            assertAllClosed(net);
        });
    }

    @Test
    void oneFamilyMissingIsFineBothMissingIsNameNotFound() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            TestZone zone = new TestZone().a("v6.test", "2001:db8::6").exists("bare.test");
            FakeNetwork.Server s = net.server(S1, zone);
            DnsResolver r = new DnsResolver(net, config(s).withPreference(DnsConfig.AddressPreference.IPV4_FIRST));
            assertEquals(ips("2001:db8::6"), await(r.resolveName("v6.test")));
            DnsException.NameNotFound nf = assertInstanceOf(DnsException.NameNotFound.class,
                    failureOf(r.resolveName("bare.test")));
            assertFalse(nf.noSuchDomain(), "the name exists, it has no addresses (NODATA)");
            assertEquals("bare.test", nf.name());
            assertAllClosed(net);
        });
    }

    @Test
    void nxdomainIsNameNotFoundNamingTheNameAndTheServer() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server s = net.server(S1, new TestZone());
            DnsResolver r = new DnsResolver(net, config(s));
            DnsException.NameNotFound nf = assertInstanceOf(DnsException.NameNotFound.class,
                    failureOf(r.resolveName("nowhere.test")));
            assertTrue(nf.noSuchDomain());
            assertEquals("nowhere.test", nf.name());
            assertEquals(s.address, nf.server());
            assertTrue(nf.getMessage().contains("nowhere.test") && nf.getMessage().contains("192.0.2.1:53"),
                    nf.getMessage());
            assertEquals(1, s.queries(), "NXDOMAIN is an answer: no other server or attempt is tried");
            assertAllClosed(net);
        });
    }

    // ------------------------------------------------------------------------------------------------ CNAME

    @Test
    void followsACnameChainGivenInOneAnswer() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server s = net.server(S1, new TestZone().cname("www.test", "web.test")
                    .cname("web.test", "alpha.test").a("alpha.test", "10.1.2.3"));
            DnsResolver r = new DnsResolver(net, config(s));
            assertEquals(ips("10.1.2.3"), await(r.resolveName("WWW.test")));
            assertEquals(1, s.queries());
            assertAllClosed(net);
        });
    }

    @Test
    void asksAgainForTheEndOfAChainTheServerLeftOut() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            TestZone zone = new TestZone().cname("www.test", "web.test").cname("web.test", "alpha.test")
                    .a("alpha.test", "10.1.2.3");
            zone.followChains = false;
            FakeNetwork.Server s = net.server(S1, zone);
            DnsResolver r = new DnsResolver(net, config(s));
            assertEquals(ips("10.1.2.3"), await(r.resolveName("www.test")));
            List<String> asked = s.udpQueries.stream().map(q -> q.questions().getFirst().name()).toList();
            assertEquals(List.of("www.test", "web.test", "alpha.test"), asked);
            assertAllClosed(net);
        });
    }

    @Test
    void aCnameLoopOrAnOverlongChainFailsAsMalformed() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server s = net.server(S1, (q, tcp) -> List.of(FakeNetwork.Reply.of(DnsMessage.response(q, 0,
                    List.of(new DnsRecord.NameRecord("a.test", DnsRecord.CNAME, 60, "b.test"),
                            new DnsRecord.NameRecord("b.test", DnsRecord.CNAME, 60, "a.test")),
                    List.of(), List.of()))));
            DnsResolver r = new DnsResolver(net, config(s));
            DnsException.Malformed loop = assertInstanceOf(DnsException.Malformed.class,
                    failureOf(r.resolveName("a.test")));
            assertTrue(loop.getMessage().contains("CNAME loop"), loop.getMessage());

            FakeNetwork.Server s2 = net.server(S2, new TestZone().cname("c1.test", "c2.test").cname("c2.test", "c3.test")
                    .cname("c3.test", "end.test").a("end.test", "10.0.0.9"));
            DnsResolver shortChains = new DnsResolver(net, config(s2).withMaxCnameChain(2));
            DnsException.Malformed longChain = assertInstanceOf(DnsException.Malformed.class,
                    failureOf(shortChains.resolveName("c1.test")));
            assertTrue(longChain.getMessage().contains("longer than 2"), longChain.getMessage());
            assertEquals(ips("10.0.0.9"), await(shortChains.resolveName("c2.test")), "two links are allowed");
            assertAllClosed(net);
        });
    }

    @Test
    void chainsThatCrossEachOtherAcrossQueriesFailInsteadOfWaitingForEachOther() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            TestZone zone = new TestZone().cname("a.test", "b.test").cname("b.test", "a.test");
            zone.followChains = false; // one link per answer: each end is asked for separately
            FakeNetwork.Server s = net.server(S1, (q, tcp) -> List.of(
                    FakeNetwork.Reply.of(zone.respond(q)).after(Duration.ofMillis(10))));
            DnsResolver r = new DnsResolver(net, config(s).withTimeout(Duration.ofSeconds(5)));
            Future<List<InetAddress>> a = r.resolveName("a.test");
            Future<List<InetAddress>> b = r.resolveName("b.test");
            long start = System.nanoTime();
            assertInstanceOf(DnsException.Malformed.class, failureOf(a));
            assertInstanceOf(DnsException.Malformed.class, failureOf(b));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(4), "no waiting on each other");
            assertAllClosed(net);
        });
    }

    // ------------------------------------------------------------------------------------------------ forged and malformed

    @Test
    void aForgedAnswerWithAnotherIdIsIgnoredAndTheRealOneTaken() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            TestZone zone = new TestZone().a("bank.test", "10.0.0.1");
            FakeNetwork.Server s = net.server(S1, (q, tcp) -> {
                DnsMessage real = zone.respond(q);
                DnsMessage forged = DnsMessage.response(q.withId((q.id() + 1) & 0xFFFF), 0,
                        List.of(new DnsRecord.AddressRecord("bank.test", 9999, ip("6.6.6.6"))), List.of(), List.of());
                return List.of(FakeNetwork.Reply.of(forged), FakeNetwork.Reply.of(real).after(Duration.ofMillis(20)));
            });
            DnsResolver r = new DnsResolver(net, config(s));
            assertEquals(ips("10.0.0.1"), await(r.resolveName("bank.test")));
            assertAllClosed(net);
        });
    }

    @Test
    void answersFromAnotherAddressOrToAnotherQuestionOrNotResponsesAreIgnored() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            TestZone zone = new TestZone().a("bank.test", "10.0.0.1").a("evil.test", "6.6.6.6");
            FakeNetwork.Server s = net.server(S1, (q, tcp) -> {
                DnsMessage real = zone.respond(q);
                DnsMessage otherQuestion = zone.respond(DnsMessage.query(q.id(), "evil.test", DnsRecord.A, 0));
                return List.of(
                        FakeNetwork.Reply.of(real).from(SocketAddress.of("192.0.2.66", 53)),
                        FakeNetwork.Reply.of(real).from(SocketAddress.of(S1, 5353)),
                        FakeNetwork.Reply.of(otherQuestion),
                        FakeNetwork.Reply.of(real.withFlags(real.flags() & ~DnsMessage.FLAG_QR)),
                        FakeNetwork.Reply.bytes(new byte[] {1}), // too short to carry an id
                        FakeNetwork.Reply.of(real).after(Duration.ofMillis(30)));
            });
            DnsResolver r = new DnsResolver(net, config(s));
            assertEquals(ips("10.0.0.1"), await(r.resolveName("bank.test")));
            assertEquals(1, s.queries());
            assertAllClosed(net);
        });
    }

    /** A reply with the query's id whose answer name is a pointer to itself. */
    static byte[] compressionLoop(DnsMessage q) {
        byte[] wire = DnsMessage.response(q, 0, List.of(new DnsRecord.AddressRecord(
                q.questions().getFirst().name(), 60, ip("10.0.0.1"))), List.of(), List.of()).encode();
        int answer = 12 + DnsNames.labels(q.questions().getFirst().name()).stream().mapToInt(l -> l.length + 1).sum()
                + 1 + 4;
        wire[answer + 1] = (byte) answer;
        return wire;
    }

    @Test
    void aMalformedAnswerMovesToTheNextServerAndFailsCleanlyWhenAllAreMalformed() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server bad = net.server(S1, (q, tcp) -> List.of(FakeNetwork.Reply.bytes(compressionLoop(q))));
            FakeNetwork.Server good = net.server(S2, new TestZone().a("x.test", "10.0.0.2"));
            DnsResolver r = new DnsResolver(net, config(bad, good));
            assertEquals(ips("10.0.0.2"), await(r.resolveName("x.test")));
            assertEquals(1, bad.queries());
            assertEquals(1, good.queries());

            FakeNetwork.Server bad2 = net.server("192.0.2.3", (q, tcp) -> {
                byte[] whole = zoneReply(q);
                return List.of(FakeNetwork.Reply.bytes(java.util.Arrays.copyOf(whole, whole.length - 2)));
            });
            DnsResolver allBad = new DnsResolver(net, config(bad, bad2));
            DnsException.Malformed m = assertInstanceOf(DnsException.Malformed.class,
                    failureOf(allBad.resolveName("x.test")));
            assertEquals(bad2.address, m.server(), "the last server's fault is reported");
            assertEquals("x.test", m.name());
            assertInstanceOf(DnsException.Malformed.class, m.getCause(), "the decoder's own report is kept");
            assertTrue(m.getCause().getMessage().contains("cut short"), m.getCause().getMessage());
            assertAllClosed(net);
        });
    }

    static byte[] zoneReply(DnsMessage q) {
        return new TestZone().a("x.test", "10.0.0.3").respond(q).encode();
    }

    // ------------------------------------------------------------------------------------------------ timeouts and retries

    @Test
    void silentServersTimeOutAfterEveryAttemptOnEveryServer() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server s1 = net.server(S1, (q, tcp) -> List.of());
            FakeNetwork.Server s2 = net.server(S2, (q, tcp) -> List.of());
            DnsResolver r = new DnsResolver(net, config(s1, s2).withTimeout(Duration.ofMillis(60)).withAttempts(2));
            long start = System.nanoTime();
            DnsException.Timeout t = assertInstanceOf(DnsException.Timeout.class, failureOf(r.resolveName("x.test")));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(ms >= 4 * 60 - 20 && ms < 10_000, "4 tries of 60 ms took " + ms + " ms");
            assertEquals(2, s1.queries());
            assertEquals(2, s2.queries());
            Set<Integer> ids = new HashSet<>();
            for (DnsMessage q : s1.udpQueries) {
                ids.add(q.id());
            }
            for (DnsMessage q : s2.udpQueries) {
                ids.add(q.id());
            }
            assertTrue(ids.size() >= 3, "a fresh id per try: " + ids);
            assertEquals(s2.address, t.server(), "the last server tried");
            assertTrue(t.getMessage().contains("60 ms"), t.getMessage());
            assertEquals(4, net.channelsOpened, "a fresh socket (source port) per try");
            assertAllClosed(net);
        });
    }

    @Test
    void aSlowServerIsLeftForTheNextAndItsLateAnswerDropped() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            TestZone zone = new TestZone().a("x.test", "10.0.0.1");
            FakeNetwork.Server slow = net.server(S1, (q, tcp) ->
                    List.of(FakeNetwork.Reply.of(zone.respond(q)).after(Duration.ofMillis(1000))));
            FakeNetwork.Server fast = net.server(S2, zone);
            DnsResolver r = new DnsResolver(net, config(slow, fast).withTimeout(Duration.ofMillis(50)));
            long start = System.nanoTime();
            assertEquals(ips("10.0.0.1"), await(r.resolveName("x.test")));
            assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(900), "did not wait for the slow one");
            settle(Duration.ofMillis(1100)); // the slow answer arrives at a closed socket and is dropped
            assertEquals(1, slow.queries());
            assertEquals(1, fast.queries());
            assertAllClosed(net);
        });
    }

    @Test
    void errorCodesMoveToTheNextServerAndTheLastIsReported() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server fail = net.server(S1, (q, tcp) ->
                    List.of(FakeNetwork.Reply.of(DnsMessage.response(q, DnsMessage.SERVFAIL, List.of(), List.of(), List.of()))));
            FakeNetwork.Server refuse = net.server(S2, (q, tcp) ->
                    List.of(FakeNetwork.Reply.of(DnsMessage.response(q, DnsMessage.REFUSED, List.of(), List.of(), List.of()))));
            FakeNetwork.Server silent = net.server("192.0.2.3", (q, tcp) -> List.of());
            DnsResolver r = new DnsResolver(net, config(fail, refuse, silent).withTimeout(Duration.ofMillis(40)));
            DnsException.ServerFailure sf = assertInstanceOf(DnsException.ServerFailure.class,
                    failureOf(r.resolveName("x.test")));
            assertEquals(DnsMessage.REFUSED, sf.rcode(), "a timeout after it does not hide the error code");
            assertEquals(refuse.address, sf.server());
            assertEquals(1, fail.queries());
            assertEquals(1, refuse.queries());
            assertEquals(1, silent.queries());
            assertAllClosed(net);
        });
    }

    @Test
    void rotateStartsEachQueryAtTheNextServer() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            TestZone zone = new TestZone().a("a.test", "10.0.0.1").a("b.test", "10.0.0.2").a("c.test", "10.0.0.3")
                    .a("d.test", "10.0.0.4");
            FakeNetwork.Server s1 = net.server(S1, zone);
            FakeNetwork.Server s2 = net.server(S2, zone);
            DnsResolver r = new DnsResolver(net, config(s1, s2).withRotate(true));
            for (String n : List.of("a.test", "b.test", "c.test", "d.test")) {
                await(r.resolveName(n));
            }
            assertEquals(2, s1.queries());
            assertEquals(2, s2.queries());
            DnsResolver fixed = new DnsResolver(net, config(s1, s2));
            await(fixed.resolveName("a.test"));
            await(fixed.resolveName("b.test"));
            assertEquals(4, s1.queries(), "without rotate the first server is always first");
            assertAllClosed(net);
        });
    }

    @Test
    void aServerThatRejectsEdnsIsAskedAgainWithout() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            TestZone zone = new TestZone().a("x.test", "10.0.0.1");
            FakeNetwork.Server old = net.server(S1, (q, tcp) -> {
                if (q.opt() != null) { // FORMERR without the question, as old servers send
                    return List.of(FakeNetwork.Reply.of(new DnsMessage(q.id(), DnsMessage.FLAG_QR | DnsMessage.FORMERR,
                            List.of(), List.of(), List.of(), List.of())));
                }
                return zone.answer(q, tcp);
            });
            DnsResolver r = new DnsResolver(net, config(old).withEdns(1232));
            assertEquals(ips("10.0.0.1"), await(r.resolveName("x.test")));
            assertEquals(2, old.queries());
            assertEquals(1232, old.udpQueries.get(0).opt().udpPayloadSize());
            assertNull(old.udpQueries.get(1).opt());
            assertAllClosed(net);
        });
    }

    // ------------------------------------------------------------------------------------------------ TCP

    static List<DnsRecord> manyAddresses(String name, int n) {
        List<DnsRecord> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(new DnsRecord.AddressRecord(name, 60, ip("10.0.1." + (i + 1))));
        }
        return list;
    }

    @Test
    void aTruncatedAnswerIsAskedAgainOverTcpAndReassembledFromSmallReads() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            List<DnsRecord> all = manyAddresses("big.test", 60);
            FakeNetwork.Server s = net.server(S1, (q, tcp) -> {
                if (!tcp) {
                    DnsMessage cut = DnsMessage.response(q, 0, all.subList(0, 5), List.of(), List.of());
                    return List.of(FakeNetwork.Reply.of(cut.withFlags(cut.flags() | DnsMessage.FLAG_TC)));
                }
                return List.of(FakeNetwork.Reply.of(DnsMessage.response(q, 0, all, List.of(), List.of())));
            });
            DnsResolver r = new DnsResolver(net, config(s));
            List<InetAddress> got = await(r.resolveName("big.test"));
            assertEquals(60, got.size(), "the whole answer, not the 5 of the truncated datagram");
            assertEquals(ip("10.0.1.60"), got.getLast());
            assertEquals(1, s.udpQueries.size());
            assertEquals(1, s.tcpQueries.size());
            assertNotEquals(s.udpQueries.getFirst().id(), s.tcpQueries.getFirst().id(), "a fresh id over TCP too");
            assertEquals(1, r.tcpQueriesSent());
            assertEquals(2, r.queriesSent());
            assertAllClosed(net);
        });
    }

    @Test
    void aTcpConnectionClosedMidAnswerFailsCleanlyAndTheNextServerIsTried() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Script truncatedThenCut = (q, tcp) -> {
                DnsMessage m = DnsMessage.response(q, 0, manyAddresses("big.test", 3), List.of(), List.of());
                if (!tcp) {
                    return List.of(FakeNetwork.Reply.of(m.withFlags(m.flags() | DnsMessage.FLAG_TC)));
                }
                byte[] b = m.encode();
                byte[] partial = new byte[12];
                partial[0] = (byte) (b.length >>> 8);
                partial[1] = (byte) b.length;
                System.arraycopy(b, 0, partial, 2, 10);
                return List.of(FakeNetwork.Reply.rawTcp(partial), FakeNetwork.Reply.close());
            };
            FakeNetwork.Server cut = net.server(S1, truncatedThenCut);
            DnsResolver r = new DnsResolver(net, config(cut));
            DnsException.Malformed m = assertInstanceOf(DnsException.Malformed.class,
                    failureOf(r.resolveName("big.test")));
            assertTrue(m.getMessage().contains("connection closed after 12 bytes"), m.getMessage());

            FakeNetwork.Server noTcp = net.server(S2, (q, tcp) -> truncatedThenCut.answer(q, false));
            noTcp.acceptsTcp = false;
            DnsResolver refused = new DnsResolver(net, config(noTcp));
            DnsException.ServerFailure sf = assertInstanceOf(DnsException.ServerFailure.class,
                    failureOf(refused.resolveName("big.test")));
            assertEquals(-1, sf.rcode());
            assertInstanceOf(NetException.ConnectionRefused.class, sf.getCause());

            FakeNetwork.Server good = net.server("192.0.2.3", new TestZone().a("big.test", "10.0.0.7"));
            DnsResolver retried = new DnsResolver(net, config(cut, good));
            assertEquals(ips("10.0.0.7"), await(retried.resolveName("big.test")));
            assertAllClosed(net);
        });
    }

    @Test
    void aSilentTcpServerTimesOutAndUseVcSkipsUdp() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            TestZone zone = new TestZone().a("x.test", "10.0.0.1");
            FakeNetwork.Server s = net.server(S1, (q, tcp) -> tcp ? List.of() : zone.answer(q, false));
            DnsResolver r = new DnsResolver(net, config(s).withTcpOnly(true).withTimeout(Duration.ofMillis(50)));
            DnsException.Timeout t = assertInstanceOf(DnsException.Timeout.class, failureOf(r.resolveName("x.test")));
            assertTrue(t.getMessage().contains("TCP"), t.getMessage());
            assertEquals(0, s.udpQueries.size());
            assertEquals(1, s.tcpQueries.size());
            s.script = zone;
            assertEquals(ips("10.0.0.1"), await(r.resolveName("x.test")));
            assertEquals(0, s.udpQueries.size(), "use-vc: never UDP");
            assertAllClosed(net);
        });
    }

    // ------------------------------------------------------------------------------------------------ cache and coalescing

    @Test
    void answersAreCachedForTheirTtlAndAskedAgainAfter() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server s = net.server(S1, new TestZone().a("short.test", "10.0.0.1", 1)
                    .a("zero.test", "10.0.0.2", 0).cname("alias.test", "short.test", 300));
            DnsResolver r = new DnsResolver(net, config(s));
            await(r.resolveName("short.test"));
            assertEquals(ips("10.0.0.1"), await(r.resolveName("SHORT.test.")), "the cache ignores case and final dot");
            assertEquals(1, s.queries());
            assertEquals(1, r.cacheHits());
            await(r.resolveName("zero.test"));
            await(r.resolveName("zero.test"));
            assertEquals(3, s.queries(), "TTL 0 is not cached");
            await(r.resolveName("alias.test"));
            await(r.resolveName("alias.test"));
            assertEquals(4, s.queries(), "an alias is cached too");
            settle(Duration.ofMillis(1300));
            await(r.resolveName("short.test"));
            await(r.resolveName("alias.test"));
            assertEquals(6, s.queries(), "expired after 1 s: the chain's smallest TTL counts for the alias");
            assertAllClosed(net);
        });
    }

    @Test
    void negativeAnswersAreCachedForTheSoaMinimumAndNotWithoutAnSoa() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server withSoa = net.server(S1, new TestZone().soa("test", 3600, 60).exists("bare.test"));
            DnsResolver r = new DnsResolver(net, config(withSoa));
            assertInstanceOf(DnsException.NameNotFound.class, failureOf(r.resolveName("nx.test")));
            DnsException.NameNotFound cached = assertInstanceOf(DnsException.NameNotFound.class,
                    failureOf(r.resolveName("nx.test")));
            assertTrue(cached.noSuchDomain());
            DnsException.NameNotFound noData = assertInstanceOf(DnsException.NameNotFound.class,
                    failureOf(r.resolveName("bare.test")));
            assertFalse(noData.noSuchDomain());
            assertFalse(assertInstanceOf(DnsException.NameNotFound.class, failureOf(r.resolveName("bare.test")))
                    .noSuchDomain(), "NODATA is cached as NODATA");
            assertEquals(2, withSoa.queries());
            assertEquals(2, r.cacheHits());

            FakeNetwork.Server noSoa = net.server(S2, new TestZone());
            DnsResolver r2 = new DnsResolver(net, config(noSoa));
            failureOf(r2.resolveName("nx.test"));
            failureOf(r2.resolveName("nx.test"));
            assertEquals(2, noSoa.queries(), "RFC 2308: no SOA, no negative caching");
            assertAllClosed(net);
        });
    }

    @Test
    void theCacheKeepsTheMostRecentlyUsedAnswersWithinItsSize() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server s = net.server(S1, new TestZone().a("a.test", "10.0.0.1").a("b.test", "10.0.0.2")
                    .a("c.test", "10.0.0.3"));
            DnsResolver r = new DnsResolver(net, config(s).withCacheSize(2));
            await(r.resolveName("a.test"));
            await(r.resolveName("b.test"));
            await(r.resolveName("a.test")); // a is now the most recently used
            await(r.resolveName("c.test")); // evicts b
            assertEquals(2, r.cacheSize());
            assertEquals(3, s.queries());
            await(r.resolveName("a.test"));
            assertEquals(3, s.queries(), "a stayed");
            await(r.resolveName("b.test"));
            assertEquals(4, s.queries(), "b was evicted");
            DnsResolver none = new DnsResolver(net, config(s).withCacheSize(0));
            await(none.resolveName("a.test"));
            await(none.resolveName("a.test"));
            assertEquals(6, s.queries(), "size 0: no cache");
            r.clearCache();
            assertEquals(0, r.cacheSize());
            assertAllClosed(net);
        });
    }

    @Test
    void identicalQueriesInFlightShareOneExchangeAndItsOutcome() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            TestZone zone = new TestZone().a("x.test", "10.0.0.1");
            FakeNetwork.Server s = net.server(S1, (q, tcp) ->
                    List.of(FakeNetwork.Reply.of(zone.respond(q)).after(Duration.ofMillis(30))));
            DnsResolver r = new DnsResolver(net, config(s).withCacheSize(0));
            List<Future<List<InetAddress>>> all = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                all.add(r.resolveName(i % 2 == 0 ? "x.test" : "X.TEST"));
            }
            for (Future<List<InetAddress>> f : all) {
                assertEquals(ips("10.0.0.1"), await(f));
            }
            assertEquals(1, s.queries(), "five callers, one query");
            List<Future<List<InetAddress>>> missing = List.of(r.resolveName("nx.test"), r.resolveName("nx.test"));
            for (Future<List<InetAddress>> f : missing) {
                assertInstanceOf(DnsException.NameNotFound.class, failureOf(f));
            }
            assertEquals(2, s.queries(), "the failure is shared too");
            assertAllClosed(net);
        });
    }

    // ------------------------------------------------------------------------------------------------ names

    @Test
    void theHostsTableComesFirstAndLiteralsAreNotLookedUp() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server s = net.server(S1, new TestZone().a("v6host.test", "10.0.0.66"));
            HostsFile hosts = HostsFile.parse("""
                    10.0.0.10 db.test db
                    2001:db8::10 db.test
                    2001:db8::66 v6host.test
                    """);
            DnsResolver r = new DnsResolver(net, config(s).withHosts(hosts)
                    .withPreference(DnsConfig.AddressPreference.IPV6_FIRST));
            assertEquals(ips("2001:db8::10", "10.0.0.10"), await(r.resolveName("DB.test")));
            assertEquals(ips("10.0.0.10"), await(r.resolveName("db")), "the alias is on one line only");
            assertEquals(0, s.queries());
            DnsResolver v4 = new DnsResolver(net, config(s).withHosts(hosts));
            assertEquals(ips("10.0.0.66"), await(v4.resolveName("v6host.test")),
                    "a hosts entry of the wrong family does not hide DNS");
            assertEquals(1, s.queries());
            assertEquals(ips("192.0.2.200"), await(r.resolveName("192.0.2.200")));
            assertEquals(ips("2001:db8::1"), await(r.resolveName("[2001:db8::1]")));
            assertEquals(1, s.queries());
            assertEquals("db.test", await(r.resolveAddress(ip("2001:db8::10"))), "reverse from the table too");
            assertEquals(1, s.queries());
            assertAllClosed(net);
        });
    }

    @Test
    void theSearchListAndNdotsDecideTheOrderOfCandidates() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server s = net.server(S1, new TestZone().a("foo.b.test", "10.0.0.2").a("x.y", "10.0.0.3")
                    .a("x.y.b.test", "10.0.0.4"));
            DnsConfig base = config(s).withSearch(List.of("a.test", "b.test")).withCacheSize(0);
            DnsResolver r = new DnsResolver(net, base);
            assertEquals(ips("10.0.0.2"), await(r.resolveName("foo")));
            assertEquals(List.of("foo.a.test", "foo.b.test"), asked(s));

            assertEquals(ips("10.0.0.3"), await(r.resolveName("x.y")));
            assertEquals(List.of("x.y"), asked(s), "1 dot >= ndots 1: as it is first");

            DnsResolver ndots2 = new DnsResolver(net, base.withNdots(2));
            assertEquals(ips("10.0.0.4"), await(ndots2.resolveName("x.y")));
            assertEquals(List.of("x.y.a.test", "x.y.b.test"), asked(s), "1 dot < ndots 2: search list first");

            DnsException.NameNotFound nf = assertInstanceOf(DnsException.NameNotFound.class,
                    failureOf(r.resolveName("foo.")));
            assertEquals(List.of("foo"), asked(s), "a final dot: no search list");
            assertEquals("foo", nf.name());

            DnsException.NameNotFound none = assertInstanceOf(DnsException.NameNotFound.class,
                    failureOf(r.resolveName("nothing")));
            assertEquals(List.of("nothing.a.test", "nothing.b.test", "nothing"), asked(s), "as it is, last");
            assertEquals("nothing", none.name(), "named after what was asked");
            assertAllClosed(net);
        });
    }

    private static List<String> asked(FakeNetwork.Server s) {
        List<String> names = s.allQueries().stream().map(q -> q.questions().getFirst().name()).toList();
        s.udpQueries.clear();
        s.tcpQueries.clear();
        return names;
    }

    @Test
    void aServerFailureDuringTheSearchIsRememberedAndATimeoutEndsIt() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server s = net.server(S1, (q, tcp) -> {
                String n = q.questions().getFirst().name();
                if (n.endsWith("broken.test")) {
                    return List.of(FakeNetwork.Reply.of(DnsMessage.response(q, DnsMessage.SERVFAIL, List.of(),
                            List.of(), List.of())));
                }
                if (n.endsWith("silent.test")) {
                    return List.of();
                }
                return new TestZone().a("late.ok.test", "10.0.0.5").answer(q, tcp);
            });
            DnsConfig base = config(s).withTimeout(Duration.ofMillis(50));
            DnsResolver r = new DnsResolver(net, base.withSearch(List.of("broken.test", "ok.test")));
            assertEquals(ips("10.0.0.5"), await(r.resolveName("late")), "SERVFAIL on the first domain, found on the next");
            DnsException.ServerFailure sf = assertInstanceOf(DnsException.ServerFailure.class,
                    failureOf(r.resolveName("gone")));
            assertEquals(DnsMessage.SERVFAIL, sf.rcode(), "nothing found: the server failure is the answer");
            asked(s);
            DnsResolver r2 = new DnsResolver(net, base.withSearch(List.of("silent.test", "ok.test")));
            assertInstanceOf(DnsException.Timeout.class, failureOf(r2.resolveName("late")));
            assertEquals(List.of("late.silent.test"), asked(s), "a timeout ends the search");
            assertAllClosed(net);
        });
    }

    @Test
    void invalidNamesFailWithoutAQuery() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server s = net.server(S1, new TestZone());
            DnsResolver r = new DnsResolver(net, config(s));
            assertInstanceOf(IllegalArgumentException.class, failureOf(r.resolveName("a..b")));
            assertInstanceOf(IllegalArgumentException.class, failureOf(r.resolveName("x".repeat(64) + ".test")));
            assertInstanceOf(IllegalArgumentException.class, failureOf(r.resolveName("bücher.test")));
            assertInstanceOf(IllegalArgumentException.class, failureOf(r.resolveName(".")));
            assertEquals(0, s.queries());
            assertEquals(0, net.channelsOpened);
        });
    }

    // ------------------------------------------------------------------------------------------------ reverse

    @Test
    void resolveAddressAsksForThePtrOfTheReverseName() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server s = net.server(S1, new TestZone()
                    .ptr("4.3.2.10.in-addr.arpa", "host.test")
                    .cname("5.3.2.10.in-addr.arpa", "5.0-63.3.2.10.in-addr.arpa") // RFC 2317 delegation
                    .ptr("5.0-63.3.2.10.in-addr.arpa", "classless.test")
                    .ptr("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "v6.test"));
            DnsResolver r = new DnsResolver(net, config(s));
            assertEquals("host.test", await(r.resolveAddress(ip("10.2.3.4"))));
            assertEquals("classless.test", await(r.resolveAddress(ip("10.2.3.5"))));
            assertEquals("v6.test", await(r.resolveAddress(ip("2001:db8::1"))));
            assertEquals(DnsRecord.PTR, s.udpQueries.getFirst().questions().getFirst().type());
            DnsException.NameNotFound nf = assertInstanceOf(DnsException.NameNotFound.class,
                    failureOf(r.resolveAddress(ip("10.9.9.9"))));
            assertEquals("9.9.9.10.in-addr.arpa", nf.name());
            assertAllClosed(net);
        });
    }

    // ------------------------------------------------------------------------------------------------ lifetime

    @Test
    void stopFailsQueriesInFlightClosesTheirSocketsAndRefusesNewOnes() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            FakeNetwork.Server s = net.server(S1, (q, tcp) -> List.of());
            DnsResolver r = new DnsResolver(net, config(s).withTimeout(Duration.ofSeconds(10)).withAttempts(3));
            Future<List<InetAddress>> pending = r.resolveName("x.test");
            Future<String> reverse = r.resolveAddress(ip("10.0.0.1"));
            settle(Duration.ofMillis(5));
            assertEquals(2, net.channelsOpen);
            long start = System.nanoTime();
            assertTrue(await(r.stop()) == null);
            Throwable e = failureOf(pending);
            assertInstanceOf(IllegalStateException.class, e);
            assertTrue(e.getMessage().contains("stopped"));
            assertInstanceOf(IllegalStateException.class, failureOf(reverse));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "no waiting for the 10 s timeout");
            assertEquals(2, s.queries(), "no retry after stop");
            assertAllClosed(net);
            assertInstanceOf(IllegalStateException.class, failureOf(r.resolveName("y.test")));
        });
    }

    @Test
    void aResolverBelongsToAShard() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new DnsResolver(new FakeNetwork(), DnsConfig.defaults()));
        assertTrue(e.getMessage().contains("shard"));
    }

    @Test
    void createReadsTheSystemFilesOffTheShard() {
        onShard(() -> {
            FakeNetwork net = new FakeNetwork();
            Thread shardThread = Thread.currentThread();
            DnsResolver r = await(DnsResolver.create(net));
            assertSame(shardThread, Thread.currentThread(), "completed back on the shard");
            assertFalse(r.config().nameservers().isEmpty());
            assertEquals(await(DnsConfig.loadAsync()).nameservers(), r.config().nameservers());
        });
    }
}
