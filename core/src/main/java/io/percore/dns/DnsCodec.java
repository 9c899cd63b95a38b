package io.percore.dns;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The DNS wire format (RFC 1035 section 4, AAAA of RFC 3596, OPT of RFC 6891): {@link #decode} reads a whole
 * message, {@link #encode} writes one, compressing repeated names.
 *
 * <p>Decoding trusts nothing in the input: every length and count is checked against the bytes present, a
 * compression pointer must land inside the message, a pointer seen twice while reading one name is a loop,
 * a name may not exceed 255 bytes, and record data must have exactly the length its type requires. Any such
 * fault is reported as a {@link DnsException.Malformed} with its offset, and nothing else is ever thrown, so
 * a datagram from anyone can be handed to it. Counts are never used to size anything in advance. One
 * leniency: in a message with the TC (truncated) bit set, records cut off at the end are dropped rather than
 * reported, as the sender said it cut them.
 *
 * <p>Stateless; any thread.
 */
public final class DnsCodec {
    /** Pointer hops allowed while reading one name: 126 is the most a 255-byte name can need. */
    private static final int MAX_POINTERS = 126;
    private static final int HEADER = 12;

    private DnsCodec() {}

    // ------------------------------------------------------------------------------------------------ decoding

    /**
     * Decodes the message in {@code bytes}.
     *
     * @throws DnsException.Malformed when the bytes are not a well-formed message (the only exception thrown)
     */
    public static DnsMessage decode(byte[] bytes) {
        return decode(MemorySegment.ofArray(bytes));
    }

    /**
     * Decodes the message filling {@code message} (on or off heap). The segment is read, never kept.
     *
     * @throws DnsException.Malformed when the bytes are not a well-formed message (the only exception thrown)
     */
    public static DnsMessage decode(MemorySegment message) {
        if (message.byteSize() > 0xFFFF) {
            throw new DnsException.Malformed("message longer than 65535 bytes", -1);
        }
        return new Reader(message).message();
    }

    /** @return the message id (first two bytes), or -1 when there are not even two bytes. Any thread. */
    static int peekId(MemorySegment message) {
        if (message.byteSize() < 2) {
            return -1;
        }
        return ((message.get(ValueLayout.JAVA_BYTE, 0) & 0xFF) << 8) | (message.get(ValueLayout.JAVA_BYTE, 1) & 0xFF);
    }

    /** Reads one message; a fresh reader per message. */
    private static final class Reader {
        private final MemorySegment seg;
        private final int limit;
        private int pos;
        /** Pointer offsets met while reading the current name, for loop detection. */
        private final int[] pointers = new int[MAX_POINTERS];

        Reader(MemorySegment seg) {
            this.seg = seg;
            this.limit = (int) seg.byteSize();
        }

        DnsMessage message() {
            need(HEADER, "header");
            int id = u16();
            int flags = u16();
            int qd = u16();
            int an = u16();
            int ns = u16();
            int ar = u16();
            boolean truncated = (flags & DnsMessage.FLAG_TC) != 0;
            List<DnsQuestion> questions = new ArrayList<>(Math.min(qd, 4));
            for (int i = 0; i < qd; i++) {
                String name = name();
                need(4, "question");
                questions.add(new DnsQuestion(name, u16(), u16()));
            }
            List<DnsRecord> answers = new ArrayList<>(Math.min(an, 16));
            List<DnsRecord> authorities = new ArrayList<>(Math.min(ns, 4));
            List<DnsRecord> additionals = new ArrayList<>(Math.min(ar, 4));
            boolean complete = records(an, answers, truncated, "answer")
                    && records(ns, authorities, truncated, "authority")
                    && records(ar, additionals, truncated, "additional");
            assert complete || truncated;
            return new DnsMessage(id, flags, questions, answers, authorities, additionals);
        }

        /** @return false when a truncated message ran out of records (the rest of the sections is empty). */
        private boolean records(int count, List<DnsRecord> into, boolean truncated, String section) {
            for (int i = 0; i < count; i++) {
                if (truncated && pos >= limit) {
                    return false;
                }
                int start = pos;
                try {
                    into.add(record(section));
                } catch (DnsException.Malformed e) {
                    if (!truncated) {
                        throw e;
                    }
                    pos = start;
                    return false;
                }
            }
            return true;
        }

        private DnsRecord record(String section) {
            String name = name();
            need(10, section + " record header");
            int type = u16();
            int dnsClass = u16();
            long rawTtl = u32();
            long ttl = rawTtl > Integer.MAX_VALUE ? 0 : rawTtl; // RFC 2181 section 8
            int rdLength = u16();
            int rdStart = pos;
            need(rdLength, DnsRecord.typeName(type) + " record data");
            int rdEnd = rdStart + rdLength;
            DnsRecord r;
            if (type == DnsRecord.OPT) {
                r = new DnsRecord.OptRecord(dnsClass, (int) (rawTtl >>> 24), (int) (rawTtl >>> 16) & 0xFF,
                        (rawTtl & 0x8000) != 0, bytes(rdLength));
            } else if (dnsClass != DnsRecord.CLASS_IN) {
                r = new DnsRecord.RawRecord(name, type, dnsClass, ttl, bytes(rdLength));
            } else {
                r = switch (type) {
                    case DnsRecord.A, DnsRecord.AAAA -> {
                        int want = type == DnsRecord.A ? 4 : 16;
                        if (rdLength != want) {
                            throw new DnsException.Malformed(DnsRecord.typeName(type) + " record of " + rdLength
                                    + " bytes, expected " + want, rdStart);
                        }
                        yield new DnsRecord.AddressRecord(name, ttl, address(bytes(want)));
                    }
                    case DnsRecord.CNAME, DnsRecord.PTR, DnsRecord.NS ->
                            new DnsRecord.NameRecord(name, type, ttl, name());
                    case DnsRecord.SOA -> {
                        String primary = name();
                        String mailbox = name();
                        need(20, "SOA record data");
                        yield new DnsRecord.SoaRecord(name, ttl, primary, mailbox, u32(), u32(), u32(), u32(), u32());
                    }
                    default -> new DnsRecord.RawRecord(name, type, dnsClass, ttl, bytes(rdLength));
                };
            }
            if (pos != rdEnd) {
                throw new DnsException.Malformed(DnsRecord.typeName(type) + " record data of " + (pos - rdStart)
                        + " bytes where the record says " + rdLength, rdStart);
            }
            return r;
        }

        /** Reads a possibly compressed name at {@code pos}, leaving {@code pos} after its in-place bytes. */
        private String name() {
            StringBuilder sb = new StringBuilder(32);
            int p = pos;
            int after = -1;
            int wire = 1;
            int hops = 0;
            while (true) {
                if (p >= limit) {
                    throw new DnsException.Malformed("name runs past the end of the message", p);
                }
                int len = u8(p);
                int kind = len & 0xC0;
                if (kind == 0) {
                    if (len == 0) {
                        if (after < 0) {
                            after = p + 1;
                        }
                        break;
                    }
                    if (p + 1 + len > limit) {
                        throw new DnsException.Malformed("label runs past the end of the message", p);
                    }
                    wire += 1 + len;
                    if (wire > DnsNames.MAX_NAME_WIRE) {
                        throw new DnsException.Malformed("name longer than 255 bytes", p);
                    }
                    if (!sb.isEmpty()) {
                        sb.append('.');
                    }
                    for (int i = 1; i <= len; i++) {
                        DnsNames.appendEscaped(sb, u8(p + i));
                    }
                    p += 1 + len;
                } else if (kind == 0xC0) {
                    if (p + 2 > limit) {
                        throw new DnsException.Malformed("compression pointer cut short", p);
                    }
                    int target = ((len & 0x3F) << 8) | u8(p + 1);
                    if (target >= limit) {
                        throw new DnsException.Malformed("compression pointer to offset " + target
                                + " outside the message of " + limit + " bytes", p);
                    }
                    for (int i = 0; i < hops; i++) {
                        if (pointers[i] == p) {
                            throw new DnsException.Malformed("compression pointer loop", p);
                        }
                    }
                    if (hops == MAX_POINTERS) {
                        throw new DnsException.Malformed("more than " + MAX_POINTERS + " compression pointers in a name", p);
                    }
                    pointers[hops++] = p;
                    if (after < 0) {
                        after = p + 2;
                    }
                    p = target;
                } else {
                    throw new DnsException.Malformed("unsupported label type 0x" + Integer.toHexString(kind), p);
                }
            }
            pos = after;
            return sb.toString();
        }

        private void need(int n, String what) {
            if (n > limit - pos) {
                throw new DnsException.Malformed("message cut short in the " + what + " (" + n + " bytes needed, "
                        + (limit - pos) + " left)", pos);
            }
        }

        private int u8(int at) {
            return seg.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
        }

        private int u16() {
            int v = (u8(pos) << 8) | u8(pos + 1);
            pos += 2;
            return v;
        }

        private long u32() {
            long v = ((long) u16() << 16) | u16();
            return v;
        }

        private byte[] bytes(int n) {
            byte[] b = new byte[n];
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, b, 0, n);
            pos += n;
            return b;
        }

        private static InetAddress address(byte[] raw) {
            try {
                // No lookup for raw bytes. Inet6Address keeps an IPv4-mapped AAAA an IPv6 address (and a AAAA).
                return raw.length == 4 ? InetAddress.getByAddress(raw) : Inet6Address.getByAddress(null, raw, -1);
            } catch (UnknownHostException e) {
                throw new IllegalStateException("4 or 16 bytes are always an address", e);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ encoding

    /**
     * Encodes {@code message}, compressing every name (owner names and the names inside CNAME, PTR, NS and SOA
     * data) against those written before it.
     *
     * @throws IllegalArgumentException when a name is not a valid DNS name, a section holds more than 65535
     *                                  entries or the message exceeds 65535 bytes
     */
    public static byte[] encode(DnsMessage message) {
        Writer w = new Writer();
        w.u16(message.id());
        w.u16(message.flags());
        w.u16(count(message.questions().size()));
        w.u16(count(message.answers().size()));
        w.u16(count(message.authorities().size()));
        w.u16(count(message.additionals().size()));
        for (DnsQuestion q : message.questions()) {
            w.name(q.name());
            w.u16(q.type());
            w.u16(q.dnsClass());
        }
        for (List<DnsRecord> section : List.of(message.answers(), message.authorities(), message.additionals())) {
            for (DnsRecord r : section) {
                w.record(r);
            }
        }
        if (w.size > 0xFFFF) {
            throw new IllegalArgumentException("DNS message longer than 65535 bytes");
        }
        return Arrays.copyOf(w.buf, w.size);
    }

    private static int count(int n) {
        if (n > 0xFFFF) {
            throw new IllegalArgumentException("more than 65535 entries in a DNS message section");
        }
        return n;
    }

    private static final class Writer {
        byte[] buf = new byte[512];
        int size;
        /** Wire-form suffixes already written (lower case) and where: the targets of compression pointers. */
        private final Map<String, Integer> suffixes = new HashMap<>();

        void u8(int v) {
            if (size == buf.length) {
                buf = Arrays.copyOf(buf, buf.length * 2);
            }
            buf[size++] = (byte) v;
        }

        void u16(int v) {
            u8(v >>> 8);
            u8(v);
        }

        void u32(long v) {
            u16((int) (v >>> 16));
            u16((int) v);
        }

        void bytes(byte[] b) {
            for (byte x : b) {
                u8(x);
            }
        }

        void name(String name) {
            List<byte[]> labels = DnsNames.labels(name);
            for (int i = 0; i < labels.size(); i++) {
                String suffix = suffixKey(labels, i);
                Integer at = suffixes.get(suffix);
                if (at != null) {
                    u16(0xC000 | at);
                    return;
                }
                if (size < 0x4000) { // a pointer has 14 bits of offset
                    suffixes.put(suffix, size);
                }
                byte[] label = labels.get(i);
                u8(label.length);
                bytes(label);
            }
            u8(0);
        }

        private static String suffixKey(List<byte[]> labels, int from) {
            StringBuilder sb = new StringBuilder();
            for (int i = from; i < labels.size(); i++) {
                byte[] l = labels.get(i);
                sb.append((char) l.length).append(new String(l, StandardCharsets.ISO_8859_1));
            }
            return sb.toString().toLowerCase(Locale.ROOT);
        }

        void record(DnsRecord r) {
            if (r instanceof DnsRecord.OptRecord o) {
                u8(0); // the root
                u16(DnsRecord.OPT);
                u16(o.udpPayloadSize());
                u32(((long) o.extendedRcode() << 24) | ((long) o.version() << 16) | (o.dnssecOk() ? 0x8000 : 0));
                byte[] options = o.options();
                u16(options.length);
                bytes(options);
                return;
            }
            name(r.name());
            u16(r.type());
            u16(r instanceof DnsRecord.RawRecord raw ? raw.dnsClass() : DnsRecord.CLASS_IN);
            u32(r.ttl());
            int lengthAt = size;
            u16(0);
            switch (r) {
                case DnsRecord.AddressRecord a -> bytes(a.address().getAddress());
                case DnsRecord.NameRecord n -> name(n.target());
                case DnsRecord.SoaRecord s -> {
                    name(s.primary());
                    name(s.mailbox());
                    u32(s.serial());
                    u32(s.refresh());
                    u32(s.retry());
                    u32(s.expire());
                    u32(s.minimum());
                }
                case DnsRecord.RawRecord raw -> bytes(raw.data());
                case DnsRecord.OptRecord o -> throw new IllegalStateException("written above");
            }
            int length = size - lengthAt - 2;
            if (length > 0xFFFF) {
                throw new IllegalArgumentException("record data longer than 65535 bytes");
            }
            buf[lengthAt] = (byte) (length >>> 8);
            buf[lengthAt + 1] = (byte) length;
        }
    }
}
