package io.percore.dns;

import io.percore.memory.Buffer;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A DNS message (RFC 1035 section 4.1): the header's id and flags, then the question, answer, authority and
 * additional sections. Queries are made with {@link #query}; bytes are read with {@link #decode} and written
 * with {@link #encode()} (see {@link DnsCodec} for the checks decoding makes). Immutable; any thread.
 *
 * @param id          the 16-bit id a response repeats
 * @param flags       the 16-bit second header word: QR, opcode, AA, TC, RD, RA and the low 4 bits of the rcode
 * @param questions   normally one
 * @param answers     records answering the question (a CNAME chain and its target's records)
 * @param authorities name servers, or the SOA of a negative answer
 * @param additionals extra records, among them the EDNS0 {@link DnsRecord.OptRecord}
 */
public record DnsMessage(int id, int flags, List<DnsQuestion> questions, List<DnsRecord> answers,
                         List<DnsRecord> authorities, List<DnsRecord> additionals) {
    /** QR: this is a response. */
    public static final int FLAG_QR = 0x8000;
    /** AA: the answer comes from an authority for the zone. */
    public static final int FLAG_AA = 0x0400;
    /** TC: the message was cut to fit a UDP datagram; ask again over TCP. */
    public static final int FLAG_TC = 0x0200;
    /** RD: recursion desired (set on every query a stub resolver sends). */
    public static final int FLAG_RD = 0x0100;
    /** RA: the server offers recursion. */
    public static final int FLAG_RA = 0x0080;

    /** Response codes (RFC 1035 section 4.1.1). */
    public static final int NOERROR = 0, FORMERR = 1, SERVFAIL = 2, NXDOMAIN = 3, NOTIMP = 4, REFUSED = 5;

    public DnsMessage {
        if (id < 0 || id > 0xFFFF || flags < 0 || flags > 0xFFFF) {
            throw new IllegalArgumentException("id or flags out of 16-bit range");
        }
        questions = List.copyOf(questions);
        answers = List.copyOf(answers);
        authorities = List.copyOf(authorities);
        additionals = List.copyOf(additionals);
    }

    /**
     * @param id             the query id (a random one per query, so that forged answers are hard to match)
     * @param name           the name to ask about, presentation form
     * @param type           the record type to ask for
     * @param ednsPayloadSize the UDP payload size to advertise in an EDNS0 OPT record, or 0 for no OPT record
     * @return a recursive (RD) query with one question of class IN
     */
    public static DnsMessage query(int id, String name, int type, int ednsPayloadSize) {
        List<DnsRecord> additionals = ednsPayloadSize > 0
                ? List.of(new DnsRecord.OptRecord(ednsPayloadSize, 0, 0, false, null))
                : List.of();
        return new DnsMessage(id, FLAG_RD, List.of(DnsQuestion.of(name, type)), List.of(), List.of(), additionals);
    }

    /**
     * @return a response to {@code query}: its id and question, QR and RA set, RD copied, the given rcode (the
     * low four bits; higher ones need an OPT record) and sections. For servers and tests.
     */
    public static DnsMessage response(DnsMessage query, int rcode, List<DnsRecord> answers,
                                      List<DnsRecord> authorities, List<DnsRecord> additionals) {
        int flags = FLAG_QR | FLAG_RA | (query.flags & FLAG_RD) | (rcode & 0xF);
        return new DnsMessage(query.id, flags, query.questions, answers, authorities, additionals);
    }

    /** @return the message decoded from {@code bytes}; see {@link DnsCodec#decode(byte[])}. */
    public static DnsMessage decode(byte[] bytes) {
        return DnsCodec.decode(bytes);
    }

    /** @return the message decoded from {@code segment}; see {@link DnsCodec#decode(MemorySegment)}. */
    public static DnsMessage decode(MemorySegment segment) {
        return DnsCodec.decode(segment);
    }

    /**
     * @return the message decoded from the bytes in view of {@code buffer} (not released; the caller still owns
     * it). Owning thread of the buffer.
     */
    public static DnsMessage decode(Buffer buffer) {
        return DnsCodec.decode(buffer.segment());
    }

    /** @return the wire form; see {@link DnsCodec#encode}. */
    public byte[] encode() {
        return DnsCodec.encode(this);
    }

    /** @return true for a response (QR set). */
    public boolean isResponse() {
        return (flags & FLAG_QR) != 0;
    }

    /** @return true when the sender cut the message (TC set): the full answer needs TCP. */
    public boolean isTruncated() {
        return (flags & FLAG_TC) != 0;
    }

    /** @return true for an authoritative answer (AA set). */
    public boolean isAuthoritative() {
        return (flags & FLAG_AA) != 0;
    }

    /** @return the 4-bit opcode; 0 is a standard query. */
    public int opcode() {
        return (flags >>> 11) & 0xF;
    }

    /** @return the response code: the header's 4 bits, extended by the OPT record's 8 high bits if present. */
    public int rcode() {
        DnsRecord.OptRecord opt = opt();
        return (opt == null ? 0 : opt.extendedRcode() << 4) | (flags & 0xF);
    }

    /** @return the EDNS0 record of the additional section, or null. */
    public DnsRecord.OptRecord opt() {
        for (DnsRecord r : additionals) {
            if (r instanceof DnsRecord.OptRecord o) {
                return o;
            }
        }
        return null;
    }

    /** @return the message with other flags (to build test responses: TC, AA, an rcode). */
    public DnsMessage withFlags(int newFlags) {
        return new DnsMessage(id, newFlags, questions, answers, authorities, additionals);
    }

    /** @return the message with another id. */
    public DnsMessage withId(int newId) {
        return new DnsMessage(newId, flags, questions, answers, authorities, additionals);
    }

    /** @return the mnemonic of a response code ("NXDOMAIN"), or "RCODE" and its number. */
    public static String rcodeName(int rcode) {
        return switch (rcode) {
            case NOERROR -> "NOERROR";
            case FORMERR -> "FORMERR";
            case SERVFAIL -> "SERVFAIL";
            case NXDOMAIN -> "NXDOMAIN";
            case NOTIMP -> "NOTIMP";
            case REFUSED -> "REFUSED";
            default -> "RCODE" + rcode;
        };
    }
}
