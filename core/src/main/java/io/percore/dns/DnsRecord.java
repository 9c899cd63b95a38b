package io.percore.dns;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Objects;

/**
 * A resource record of a DNS message. The types a stub resolver reads are decoded into their own records
 * ({@link AddressRecord} for A and AAAA, {@link NameRecord} for CNAME, PTR and NS, {@link SoaRecord},
 * {@link OptRecord} for EDNS0); any other type, or a class other than IN, stays a {@link RawRecord} with its
 * data as bytes. Names are in presentation form without the final dot ({@code "www.example.com"}, the root is
 * {@code ""}); bytes that are not printable ASCII, dots and backslashes inside a label are escaped as
 * {@code \DDD} or {@code \.}. Compare names with {@link #sameName}, which ignores ASCII case as DNS does.
 * Immutable; any thread.
 */
public sealed interface DnsRecord
        permits DnsRecord.AddressRecord, DnsRecord.NameRecord, DnsRecord.SoaRecord, DnsRecord.OptRecord,
        DnsRecord.RawRecord {
    /** IPv4 address (RFC 1035). */
    int A = 1;
    /** Authoritative name server (RFC 1035). */
    int NS = 2;
    /** Canonical name, an alias (RFC 1035). */
    int CNAME = 5;
    /** Start of a zone of authority; its minimum field bounds negative caching (RFC 1035, RFC 2308). */
    int SOA = 6;
    /** Domain name pointer, for reverse lookups (RFC 1035). */
    int PTR = 12;
    /** Text (RFC 1035); kept raw. */
    int TXT = 16;
    /** IPv6 address (RFC 3596). */
    int AAAA = 28;
    /** EDNS0 pseudo-record (RFC 6891). */
    int OPT = 41;
    /** The Internet class, the only one a resolver asks about. */
    int CLASS_IN = 1;

    /** @return the owner name of the record. */
    String name();

    /** @return the record type, {@link #A} and friends. */
    int type();

    /** @return the time to live in seconds, 0 to 2^31-1 (larger wire values read as 0, RFC 2181). */
    long ttl();

    /** @return the mnemonic of a record type ("A", "AAAA"…), or "TYPE" and its number (RFC 3597). */
    static String typeName(int type) {
        return switch (type) {
            case A -> "A";
            case NS -> "NS";
            case CNAME -> "CNAME";
            case SOA -> "SOA";
            case PTR -> "PTR";
            case TXT -> "TXT";
            case AAAA -> "AAAA";
            case OPT -> "OPT";
            default -> "TYPE" + type;
        };
    }

    /** @return true when the two names are the same DNS name: ASCII case and a final dot do not matter. */
    static boolean sameName(String a, String b) {
        return DnsNames.key(a).equals(DnsNames.key(b));
    }

    private static void checkTtl(long ttl) {
        if (ttl < 0 || ttl > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("TTL out of range: " + ttl);
        }
    }

    /** An A (IPv4) or AAAA (IPv6) record; the type follows from the address. */
    record AddressRecord(String name, long ttl, InetAddress address) implements DnsRecord {
        public AddressRecord {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(address, "address");
            checkTtl(ttl);
        }

        @Override
        public int type() {
            return address instanceof Inet6Address ? AAAA : A;
        }
    }

    /** A record whose data is one name: CNAME (the alias's target), PTR (the host name) or NS. */
    record NameRecord(String name, int type, long ttl, String target) implements DnsRecord {
        public NameRecord {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(target, "target");
            if (type != CNAME && type != PTR && type != NS) {
                throw new IllegalArgumentException("not a single-name record type: " + typeName(type));
            }
            checkTtl(ttl);
        }
    }

    /**
     * The start of a zone. In the authority section of a negative answer, min(ttl, minimum) is how long the
     * negative answer may be cached (RFC 2308).
     */
    record SoaRecord(String name, long ttl, String primary, String mailbox, long serial, long refresh, long retry,
                     long expire, long minimum) implements DnsRecord {
        public SoaRecord {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(primary, "primary");
            Objects.requireNonNull(mailbox, "mailbox");
            checkTtl(ttl);
        }

        @Override
        public int type() {
            return SOA;
        }
    }

    /**
     * The EDNS0 pseudo-record of the additional section (RFC 6891): the largest UDP payload the sender
     * accepts, the high bits of the response code, the EDNS version, the DNSSEC-OK bit, and the options as
     * raw bytes. Its owner is the root and it has no TTL of its own.
     */
    record OptRecord(int udpPayloadSize, int extendedRcode, int version, boolean dnssecOk, byte[] options)
            implements DnsRecord {
        public OptRecord {
            if (udpPayloadSize < 0 || udpPayloadSize > 0xFFFF || extendedRcode < 0 || extendedRcode > 0xFF
                    || version < 0 || version > 0xFF) {
                throw new IllegalArgumentException("OPT field out of range");
            }
            options = options == null ? new byte[0] : options.clone();
        }

        @Override
        public String name() {
            return "";
        }

        @Override
        public int type() {
            return OPT;
        }

        @Override
        public long ttl() {
            return 0;
        }

        @Override
        public byte[] options() {
            return options.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof OptRecord r && r.udpPayloadSize == udpPayloadSize && r.extendedRcode == extendedRcode
                    && r.version == version && r.dnssecOk == dnssecOk && Arrays.equals(r.options, options);
        }

        @Override
        public int hashCode() {
            return Objects.hash(udpPayloadSize, extendedRcode, version, dnssecOk) * 31 + Arrays.hashCode(options);
        }

        @Override
        public String toString() {
            return "OptRecord[udpPayloadSize=" + udpPayloadSize + ", extendedRcode=" + extendedRcode + ", version="
                    + version + ", dnssecOk=" + dnssecOk + ", options=" + options.length + " bytes]";
        }
    }

    /** Any other record (or an A/AAAA/CNAME/PTR/NS/SOA of a class other than IN), its data undecoded. */
    record RawRecord(String name, int type, int dnsClass, long ttl, byte[] data) implements DnsRecord {
        public RawRecord {
            Objects.requireNonNull(name, "name");
            if (type < 0 || type > 0xFFFF || dnsClass < 0 || dnsClass > 0xFFFF) {
                throw new IllegalArgumentException("type or class out of range");
            }
            checkTtl(ttl);
            data = data == null ? new byte[0] : data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RawRecord r && r.name.equals(name) && r.type == type && r.dnsClass == dnsClass
                    && r.ttl == ttl && Arrays.equals(r.data, data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, type, dnsClass, ttl) * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "RawRecord[name=" + name + ", type=" + typeName(type) + ", class=" + dnsClass + ", ttl=" + ttl
                    + ", data=" + data.length + " bytes]";
        }
    }

}
