package io.percore.sctp;

import io.percore.memory.Buffer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Wire format of SCTP packets (RFC 9260 section 3) with the CRC32c checksum (appendix A). Decoding checks every
 * length against the bytes at hand and fails only with {@link SctpMalformedException}, whatever the input.
 * Stateless; any thread.
 */
public final class SctpCodec {
    private SctpCodec() {}

    /** Size of the common header. */
    public static final int COMMON_HEADER = 12;
    /** Size of a DATA chunk's header. */
    public static final int DATA_HEADER = 16;

    /**
     * Decodes a packet. DATA payloads are views of {@code b} itself (heap memory: nothing to release, but do not
     * change {@code b} while they are in use).
     *
     * @param verifyChecksum false only where the transport already guarantees integrity (never on the wire)
     * @throws SctpMalformedException when the bytes are not a well-formed packet or the checksum is wrong
     */
    public static SctpPacket decode(byte[] b, int off, int len, boolean verifyChecksum) {
        return decode(b, off, len, verifyChecksum, null, false);
    }

    /**
     * Decodes a packet whose DATA payloads are views of a shard buffer, which the caller must release (see
     * {@link #releasePayloads}): of {@code datagram} when given (it must hold exactly the bytes
     * {@code b[off, off + len)}), else, when {@code copyToPool}, of one copy of the packet in the calling shard's
     * pool, made only if the packet has DATA; else of {@code b}. On failure nothing is left to release.
     */
    static SctpPacket decode(byte[] b, int off, int len, boolean verifyChecksum, Buffer datagram, boolean copyToPool) {
        if (off < 0 || len < 0 || off + len > b.length || off + len < 0) {
            throw new SctpMalformedException("bad bounds");
        }
        if (len < COMMON_HEADER) {
            throw new SctpMalformedException("shorter than the common header: " + len);
        }
        if (verifyChecksum && readChecksum(b, off) != checksum(b, off, len)) {
            throw new SctpMalformedException("checksum mismatch");
        }
        int src = u16(b, off), dst = u16(b, off + 2), tag = i32(b, off + 4);
        List<Chunk> chunks = new ArrayList<>(2);
        int p = off + COMMON_HEADER, end = off + len;
        Buffer whole = null;
        try {
            while (p < end) {
                if (end - p < 4) {
                    throw new SctpMalformedException("truncated chunk header");
                }
                int type = b[p] & 0xFF, flags = b[p + 1] & 0xFF, clen = u16(b, p + 2);
                if (clen < 4 || clen > end - p) {
                    throw new SctpMalformedException("chunk length " + clen + " does not fit " + (end - p));
                }
                if (type == Chunk.DATA) {
                    int v = p + 4, n = clen - 4;
                    need(n >= 12, "DATA");
                    if (whole == null) {
                        whole = datagram != null ? datagram.share() : copyToPool ? poolCopy(b, off, len)
                                : Buffer.wrap(MemorySegment.ofArray(b).asSlice(off, len), null);
                    }
                    chunks.add(new Chunk.Data(i32(b, v), u16(b, v + 4), u16(b, v + 6), i32(b, v + 8),
                            (flags & 4) != 0, (flags & 2) != 0, (flags & 1) != 0, (flags & 8) != 0,
                            whole.share(v + 12 - off, n - 12)));
                } else {
                    chunks.add(decodeChunk(type, flags, b, p + 4, clen - 4));
                }
                p += (clen + 3) & ~3; // the last chunk's padding may be absent: p then passes end, which ends the loop
            }
        } catch (RuntimeException e) {
            releasePayloads(chunks);
            throw e;
        } finally {
            if (whole != null) {
                whole.release(); // the payload views keep the storage
            }
        }
        return new SctpPacket(src, dst, tag, chunks);
    }

    /** Releases the payload views of the DATA chunks among {@code chunks} (of a decoded packet). */
    static void releasePayloads(List<Chunk> chunks) {
        for (Chunk c : chunks) {
            if (c instanceof Chunk.Data d) {
                d.payload().release();
            }
        }
    }

    private static Buffer poolCopy(byte[] b, int off, int len) {
        Buffer copy = Buffer.allocate(len);
        MemorySegment.copy(b, off, copy.segment(), ValueLayout.JAVA_BYTE, 0, len);
        return copy;
    }

    /** Decodes one chunk's value ({@code n} bytes at {@code v}). */
    private static Chunk decodeChunk(int type, int flags, byte[] b, int v, int n) {
        switch (type) {
            case Chunk.INIT, Chunk.INIT_ACK -> {
                need(n >= 16, "INIT");
                return new Chunk.Init(type == Chunk.INIT_ACK, i32(b, v), i32(b, v + 4), u16(b, v + 8), u16(b, v + 10),
                        i32(b, v + 12), decodeParams(b, v + 16, n - 16));
            }
            case Chunk.SACK -> {
                need(n >= 12, "SACK");
                int ngaps = u16(b, v + 8), ndups = u16(b, v + 10);
                need(12 + 4L * ngaps + 4L * ndups <= n, "SACK blocks");
                int[] gaps = new int[ngaps * 2];
                for (int i = 0; i < gaps.length; i++) {
                    gaps[i] = u16(b, v + 12 + 2 * i);
                }
                int[] dups = new int[ndups];
                for (int i = 0; i < ndups; i++) {
                    dups[i] = i32(b, v + 12 + 4 * ngaps + 4 * i);
                }
                return new Chunk.Sack(i32(b, v), i32(b, v + 4), gaps, dups);
            }
            case Chunk.HEARTBEAT, Chunk.HEARTBEAT_ACK -> {
                List<Param> ps = decodeParams(b, v, n);
                need(!ps.isEmpty() && ps.get(0).type() == Param.HEARTBEAT_INFO, "HEARTBEAT info");
                return new Chunk.Heartbeat(type == Chunk.HEARTBEAT_ACK, ps.get(0).value());
            }
            case Chunk.ABORT -> {
                return new Chunk.Abort((flags & 1) != 0, decodeCauses(b, v, n));
            }
            case Chunk.SHUTDOWN -> {
                need(n >= 4, "SHUTDOWN");
                return new Chunk.Shutdown(i32(b, v));
            }
            case Chunk.SHUTDOWN_ACK -> {
                return new Chunk.ShutdownAck();
            }
            case Chunk.SHUTDOWN_COMPLETE -> {
                return new Chunk.ShutdownComplete((flags & 1) != 0);
            }
            case Chunk.ERROR -> {
                return new Chunk.Error(decodeCauses(b, v, n));
            }
            case Chunk.COOKIE_ECHO -> {
                return new Chunk.CookieEcho(Arrays.copyOfRange(b, v, v + n));
            }
            case Chunk.COOKIE_ACK -> {
                return new Chunk.CookieAck();
            }
            case Chunk.I_DATA -> {
                need(n >= 16, "I-DATA");
                return new Chunk.IData(i32(b, v), u16(b, v + 4), i32(b, v + 8), i32(b, v + 12), flags,
                        Arrays.copyOfRange(b, v + 16, v + n));
            }
            case Chunk.FORWARD_TSN -> {
                need(n >= 4 && (n - 4) % 4 == 0, "FORWARD-TSN");
                int[] s = new int[(n - 4) / 2];
                for (int i = 0; i < s.length; i++) {
                    s[i] = u16(b, v + 4 + 2 * i);
                }
                return new Chunk.ForwardTsn(i32(b, v), s);
            }
            default -> {
                return new Chunk.Unknown(type, flags, Arrays.copyOfRange(b, v, v + n));
            }
        }
    }

    /** Decodes a run of TLV parameters filling {@code n} bytes at {@code p}. */
    public static List<Param> decodeParams(byte[] b, int p, int n) {
        List<Param> out = new ArrayList<>(4);
        int end = p + n;
        while (p < end) {
            need(end - p >= 4, "parameter header");
            int type = u16(b, p), plen = u16(b, p + 2);
            need(plen >= 4 && plen <= end - p, "parameter length");
            out.add(new Param(type, Arrays.copyOfRange(b, p + 4, p + plen)));
            p += (plen + 3) & ~3;
        }
        return out;
    }

    private static List<ErrorCause> decodeCauses(byte[] b, int p, int n) {
        List<ErrorCause> out = new ArrayList<>(1);
        int end = p + n;
        while (p < end) {
            need(end - p >= 4, "cause header");
            int code = u16(b, p), clen = u16(b, p + 2);
            need(clen >= 4 && clen <= end - p, "cause length");
            out.add(new ErrorCause(code, Arrays.copyOfRange(b, p + 4, p + clen)));
            p += (clen + 3) & ~3;
        }
        return out;
    }

    private static void need(boolean ok, String what) {
        if (!ok) {
            throw new SctpMalformedException("malformed " + what);
        }
    }

    // ---- encoding ----

    /** @return the encoded size of {@code c} including its header and padding. */
    public static int encodedSize(Chunk c) {
        int v = switch (c) {
            case Chunk.Data d -> 12 + d.payload().length();
            case Chunk.Init i -> 16 + paramsSize(i.params());
            case Chunk.Sack s -> 12 + 2 * s.gaps().length + 4 * s.dups().length;
            case Chunk.Heartbeat h -> 4 + h.info().length;
            case Chunk.Abort a -> causesSize(a.causes());
            case Chunk.Shutdown s -> 4;
            case Chunk.ShutdownAck s -> 0;
            case Chunk.ShutdownComplete s -> 0;
            case Chunk.Error e -> causesSize(e.causes());
            case Chunk.CookieEcho e -> e.cookie().length;
            case Chunk.CookieAck a -> 0;
            case Chunk.IData d -> 16 + d.payload().length;
            case Chunk.ForwardTsn f -> 4 + 2 * f.streams().length;
            case Chunk.Unknown u -> u.value().length;
        };
        return (4 + v + 3) & ~3;
    }

    private static int paramsSize(List<Param> ps) {
        int s = 0;
        for (Param p : ps) {
            s += p.encodedSize();
        }
        return s;
    }

    private static int causesSize(List<ErrorCause> cs) {
        int s = 0;
        for (ErrorCause c : cs) {
            s += c.encodedSize();
        }
        return s;
    }

    /** @return the packet's wire bytes with the checksum filled in. */
    public static byte[] encode(SctpPacket packet) {
        int size = COMMON_HEADER;
        for (Chunk c : packet.chunks()) {
            size += encodedSize(c);
        }
        byte[] b = new byte[size];
        encode(packet, b, 0);
        return b;
    }

    /**
     * Writes the packet at {@code off} of {@code b}, which must have room for it, with its checksum.
     *
     * @return the number of bytes written
     */
    public static int encode(SctpPacket packet, byte[] b, int off) {
        put16(b, off, packet.srcPort());
        put16(b, off + 2, packet.dstPort());
        put32(b, off + 4, packet.verificationTag());
        put32(b, off + 8, 0);
        int p = off + COMMON_HEADER;
        for (Chunk c : packet.chunks()) {
            p = encodeChunk(c, b, p);
        }
        int len = p - off;
        writeChecksum(b, off, checksum(b, off, len));
        return len;
    }

    /** Writes one chunk at {@code p} (zero padding included). @return the position after it */
    static int encodeChunk(Chunk c, byte[] b, int p) {
        int start = p;
        int flags = 0;
        int v = p + 4;
        switch (c) {
            case Chunk.Data d -> {
                flags = (d.immediate() ? 8 : 0) | (d.unordered() ? 4 : 0) | (d.begin() ? 2 : 0) | (d.end() ? 1 : 0);
                put32(b, v, d.tsn());
                put16(b, v + 4, d.stream());
                put16(b, v + 6, d.ssn());
                put32(b, v + 8, d.ppid());
                int n = d.payload().length();
                if (n > 0) {
                    MemorySegment.copy(d.payload().segment(), ValueLayout.JAVA_BYTE, 0, b, v + 12, n);
                }
                v += 12 + n;
            }
            case Chunk.Init i -> {
                put32(b, v, i.initiateTag());
                put32(b, v + 4, i.aRwnd());
                put16(b, v + 8, i.outStreams());
                put16(b, v + 10, i.inStreams());
                put32(b, v + 12, i.initialTsn());
                v = putParams(i.params(), b, v + 16);
            }
            case Chunk.Sack s -> {
                put32(b, v, s.cumTsnAck());
                put32(b, v + 4, s.aRwnd());
                put16(b, v + 8, s.gaps().length / 2);
                put16(b, v + 10, s.dups().length);
                v += 12;
                for (int g : s.gaps()) {
                    put16(b, v, g);
                    v += 2;
                }
                for (int d : s.dups()) {
                    put32(b, v, d);
                    v += 4;
                }
            }
            case Chunk.Heartbeat h -> v = putParams(List.of(new Param(Param.HEARTBEAT_INFO, h.info())), b, v);
            case Chunk.Abort a -> {
                flags = a.reflected() ? 1 : 0;
                v = putCauses(a.causes(), b, v);
            }
            case Chunk.Shutdown s -> {
                put32(b, v, s.cumTsnAck());
                v += 4;
            }
            case Chunk.ShutdownAck s -> { }
            case Chunk.ShutdownComplete s -> flags = s.reflected() ? 1 : 0;
            case Chunk.Error e -> v = putCauses(e.causes(), b, v);
            case Chunk.CookieEcho e -> {
                System.arraycopy(e.cookie(), 0, b, v, e.cookie().length);
                v += e.cookie().length;
            }
            case Chunk.CookieAck a -> { }
            case Chunk.IData d -> {
                flags = d.flags();
                put32(b, v, d.tsn());
                put16(b, v + 4, d.stream());
                put16(b, v + 6, 0);
                put32(b, v + 8, d.mid());
                put32(b, v + 12, d.ppidOrFsn());
                System.arraycopy(d.payload(), 0, b, v + 16, d.payload().length);
                v += 16 + d.payload().length;
            }
            case Chunk.ForwardTsn f -> {
                put32(b, v, f.newCumTsn());
                v += 4;
                for (int s : f.streams()) {
                    put16(b, v, s);
                    v += 2;
                }
            }
            case Chunk.Unknown u -> {
                flags = u.flags();
                System.arraycopy(u.value(), 0, b, v, u.value().length);
                v += u.value().length;
            }
        }
        b[start] = (byte) c.type();
        b[start + 1] = (byte) flags;
        put16(b, start + 2, v - start);
        int padded = start + ((v - start + 3) & ~3);
        Arrays.fill(b, v, padded, (byte) 0);
        return padded;
    }

    private static int putParams(List<Param> ps, byte[] b, int p) {
        for (Param q : ps) {
            put16(b, p, q.type());
            put16(b, p + 2, 4 + q.value().length);
            System.arraycopy(q.value(), 0, b, p + 4, q.value().length);
            int end = p + 4 + q.value().length;
            int padded = p + q.encodedSize();
            Arrays.fill(b, end, padded, (byte) 0);
            p = padded;
        }
        return p;
    }

    private static int putCauses(List<ErrorCause> cs, byte[] b, int p) {
        for (ErrorCause c : cs) {
            put16(b, p, c.code());
            put16(b, p + 2, 4 + c.info().length);
            System.arraycopy(c.info(), 0, b, p + 4, c.info().length);
            int end = p + 4 + c.info().length;
            int padded = p + c.encodedSize();
            Arrays.fill(b, end, padded, (byte) 0);
            p = padded;
        }
        return p;
    }

    /** @return the encoded bytes of one chunk (for Unrecognized Chunk causes). */
    static byte[] encodeChunk(Chunk c) {
        byte[] b = new byte[encodedSize(c)];
        encodeChunk(c, b, 0);
        return b;
    }

    // ---- checksum ----

    /** @return the CRC32c of the packet computed with its checksum field taken as zero. */
    public static int checksum(byte[] b, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(b, off, 8);
        crc.update(ZERO4, 0, 4);
        crc.update(b, off + COMMON_HEADER, len - COMMON_HEADER);
        return (int) crc.getValue();
    }

    private static final byte[] ZERO4 = new byte[4];

    // The CRC32c is sent least significant byte first (RFC 9260 appendix A: the reflected CRC's bit order).
    private static int readChecksum(byte[] b, int off) {
        return (b[off + 8] & 0xFF) | (b[off + 9] & 0xFF) << 8 | (b[off + 10] & 0xFF) << 16 | (b[off + 11] & 0xFF) << 24;
    }

    private static void writeChecksum(byte[] b, int off, int crc) {
        b[off + 8] = (byte) crc;
        b[off + 9] = (byte) (crc >>> 8);
        b[off + 10] = (byte) (crc >>> 16);
        b[off + 11] = (byte) (crc >>> 24);
    }

    static int u16(byte[] b, int p) {
        return (b[p] & 0xFF) << 8 | (b[p + 1] & 0xFF);
    }

    static int i32(byte[] b, int p) {
        return (b[p] & 0xFF) << 24 | (b[p + 1] & 0xFF) << 16 | (b[p + 2] & 0xFF) << 8 | (b[p + 3] & 0xFF);
    }

    static void put16(byte[] b, int p, int v) {
        b[p] = (byte) (v >>> 8);
        b[p + 1] = (byte) v;
    }

    static void put32(byte[] b, int p, int v) {
        b[p] = (byte) (v >>> 24);
        b[p + 1] = (byte) (v >>> 16);
        b[p + 2] = (byte) (v >>> 8);
        b[p + 3] = (byte) v;
    }
}
