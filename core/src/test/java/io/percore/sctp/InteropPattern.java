package io.percore.sctp;

/** The message pattern shared with core/src/test/c/usrsctp_peer.c (keep the two in step). */
final class InteropPattern {
    private InteropPattern() {}

    static final int MAX = 256 * 1024;

    static int stream(long i, int streams) {
        return (int) (i % streams);
    }

    static int ppid(long i) {
        return i % 2 == 0 ? 60 : 18;
    }

    static int size(long i) {
        if (i % 500 == 0) {
            return MAX;
        }
        if (i % 50 == 0) {
            return 1 + (int) ((i * 7919) % 65536);
        }
        return 1 + (int) ((i * 31) % 1200);
    }

    static boolean unordered(long i) {
        return i % 5 == 2 && size(i) >= 4;
    }

    static byte at(long i, long k) {
        if (k < 4) {
            return (byte) (i >> (8 * k));
        }
        return (byte) (i * 131 + k * 7 + (k >> 8));
    }

    static byte[] payload(long i) {
        byte[] b = new byte[size(i)];
        for (int k = 0; k < b.length; k++) {
            b[k] = at(i, k);
        }
        return b;
    }

    static SctpMessage message(long i, int streams) {
        return new SctpMessage(stream(i, streams), ppid(i), unordered(i), payload(i));
    }

    /** Checks echoes like the C client does: each message once, content, stream, PPID, flag, per-stream order. */
    static final class Checker {
        private final long count;
        private final int streams;
        private final long[] nextOrdered;
        private final boolean[] seen;
        long received;

        Checker(long count, int streams) {
            this.count = count;
            this.streams = streams;
            this.nextOrdered = new long[streams];
            this.seen = new boolean[(int) count];
            for (int s = 0; s < streams; s++) {
                nextOrdered[s] = advance(s, 0);
            }
        }

        private long advance(int s, long from) {
            long j = from;
            while (j < count && (stream(j, streams) != s || unordered(j))) {
                j++;
            }
            return j;
        }

        /** @throws AssertionError on the first difference */
        void check(SctpReceivedMessage m) {
            byte[] b = m.bytes();
            m.release();
            long i;
            if (m.unordered()) {
                if (b.length < 4) {
                    throw new AssertionError("short unordered message");
                }
                i = (b[0] & 0xFFL) | (b[1] & 0xFFL) << 8 | (b[2] & 0xFFL) << 16 | (b[3] & 0xFFL) << 24;
                if (i >= count || !unordered(i)) {
                    throw new AssertionError("unexpected unordered message " + i);
                }
            } else {
                if (m.stream() >= streams) {
                    throw new AssertionError("stream " + m.stream());
                }
                i = nextOrdered[m.stream()];
                if (i >= count) {
                    throw new AssertionError("too many ordered messages on stream " + m.stream());
                }
                nextOrdered[m.stream()] = advance(m.stream(), i + 1);
            }
            if (seen[(int) i]) {
                throw new AssertionError("message " + i + " twice");
            }
            seen[(int) i] = true;
            if (m.stream() != stream(i, streams) || m.ppid() != ppid(i) || b.length != size(i)) {
                throw new AssertionError("message " + i + ": stream " + m.stream() + " ppid " + m.ppid() + " size "
                        + b.length + " (order broken?)");
            }
            for (int k = 0; k < b.length; k++) {
                if (b[k] != at(i, k)) {
                    throw new AssertionError("message " + i + " differs at byte " + k);
                }
            }
            received++;
        }
    }
}
