package io.percore.dns;

import io.percore.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Records a fake server answers from, as a recursive server would: CNAME chains followed inside the zone,
 * NXDOMAIN for unknown names, NODATA for known names without the type, an SOA with negative answers when given.
 */
final class TestZone implements FakeNetwork.Script {
    private final Map<String, List<DnsRecord>> byName = new LinkedHashMap<>();
    private DnsRecord.SoaRecord soa;
    /** When false, only the first link of a CNAME chain is given (the client must ask again). */
    boolean followChains = true;

    TestZone a(String name, String address, long ttl) {
        return add(new DnsRecord.AddressRecord(name, ttl, SocketAddress.parseLiteral(address)));
    }

    TestZone a(String name, String address) {
        return a(name, address, 300);
    }

    TestZone cname(String name, String target, long ttl) {
        return add(new DnsRecord.NameRecord(name, DnsRecord.CNAME, ttl, target));
    }

    TestZone cname(String name, String target) {
        return cname(name, target, 300);
    }

    TestZone ptr(String name, String target) {
        return add(new DnsRecord.NameRecord(name, DnsRecord.PTR, 300, target));
    }

    /** A name that exists without any record the tests ask for. */
    TestZone exists(String name) {
        return add(new DnsRecord.RawRecord(name, DnsRecord.TXT, DnsRecord.CLASS_IN, 300, new byte[] {1, 'x'}));
    }

    TestZone soa(String zone, long ttl, long minimum) {
        soa = new DnsRecord.SoaRecord(zone, ttl, "ns." + zone, "hostmaster." + zone, 1, 3600, 600, 86400, minimum);
        return this;
    }

    TestZone add(DnsRecord r) {
        byName.computeIfAbsent(DnsNames.key(r.name()), k -> new ArrayList<>()).add(r);
        return this;
    }

    @Override
    public List<FakeNetwork.Reply> answer(DnsMessage query, boolean overTcp) {
        return List.of(FakeNetwork.Reply.of(respond(query)));
    }

    DnsMessage respond(DnsMessage query) {
        DnsQuestion q = query.questions().getFirst();
        List<DnsRecord> answers = new ArrayList<>();
        String current = q.name();
        Set<String> seen = new HashSet<>();
        while (seen.add(DnsNames.key(current))) {
            List<DnsRecord> records = byName.get(DnsNames.key(current));
            if (records == null) {
                if (answers.isEmpty()) {
                    return DnsMessage.response(query, DnsMessage.NXDOMAIN, List.of(), negative(), List.of());
                }
                break;
            }
            List<DnsRecord> ofType = records.stream().filter(r -> r.type() == q.type()).toList();
            if (!ofType.isEmpty()) {
                answers.addAll(ofType);
                break;
            }
            DnsRecord alias = records.stream().filter(r -> r.type() == DnsRecord.CNAME).findFirst().orElse(null);
            if (alias == null) {
                break;
            }
            answers.add(alias);
            if (!followChains) {
                break;
            }
            current = ((DnsRecord.NameRecord) alias).target();
        }
        boolean noData = answers.stream().noneMatch(r -> r.type() == q.type()) && answers.isEmpty();
        return DnsMessage.response(query, DnsMessage.NOERROR, answers, noData ? negative() : List.of(), List.of());
    }

    private List<DnsRecord> negative() {
        return soa == null ? List.of() : List.of(soa);
    }
}
