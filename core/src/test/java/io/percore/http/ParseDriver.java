package io.percore.http;

import io.percore.memory.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Feeds bytes to a {@link RequestParser} and the body decoders as the server does, cut into pieces at chosen
 * places, and records what came out as plain text, so that every way of cutting the same input can be compared.
 * Shard thread only (buffers come from the shard's pool).
 */
final class ParseDriver {
    private ParseDriver() {}

    /** What parsing an input gave: the requests, and the status of the refusal that ended it (0: none). */
    record Outcome(List<String> requests, int refusal, boolean incomplete) {
        @Override
        public String toString() {
            return String.join("\n---\n", requests) + (refusal != 0 ? "\n=> refused " + refusal : "")
                    + (incomplete ? "\n=> incomplete" : "");
        }
    }

    /** Parses {@code input} delivered in one piece. */
    static Outcome whole(String input, HttpLimits limits) {
        return parse(input.getBytes(StandardCharsets.ISO_8859_1), new int[0], limits);
    }

    /** Parses {@code input} delivered one byte per read. */
    static Outcome byteByByte(String input, HttpLimits limits) {
        byte[] b = input.getBytes(StandardCharsets.ISO_8859_1);
        int[] cuts = new int[Math.max(0, b.length - 1)];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = i + 1;
        }
        return parse(b, cuts, limits);
    }

    /**
     * Parses {@code input} cut before each index of {@code cuts} (ascending).
     */
    static Outcome parse(byte[] input, int[] cuts, HttpLimits limits) {
        Buffer all = Buffer.copyOf(input);
        List<String> out = new ArrayList<>();
        RequestParser parser = new RequestParser(limits);
        BodyDecoder decoder = null;
        StringBuilder current = null;
        int refusal = 0;
        int start = 0;
        boolean waiting;
        try {
            for (int k = 0; k <= cuts.length && refusal == 0; k++) {
                int end = k < cuts.length ? cuts[k] : input.length;
                Buffer in = all.share(start, end - start);
                start = end;
                try {
                    while (true) {
                        if (decoder == null) {
                            Request r = parser.parse(in);
                            if (r == null) {
                                break;
                            }
                            Buffer head = parser.lastHead();
                            current = new StringBuilder(describe(r));
                            head.release();
                            r.headers.invalidate();
                            decoder = r.chunked ? BodyDecoder.chunked(limits)
                                    : r.contentLength > 0 ? BodyDecoder.fixed(r.contentLength) : null;
                            if (decoder == null) {
                                out.add(current.toString());
                                current = null;
                            } else {
                                current.append("body: ");
                            }
                            continue;
                        }
                        Buffer piece = decoder.next(in);
                        current.append(piece.toString(StandardCharsets.ISO_8859_1));
                        piece.release();
                        if (decoder.isDone()) {
                            if (decoder.trailers() != null) {
                                current.append("\ntrailers: ").append(decoder.trailers().toString().strip());
                            }
                            out.add(current.toString());
                            current = null;
                            decoder = null;
                            continue;
                        }
                        if (in.isEmpty()) {
                            break;
                        }
                    }
                } catch (HttpException e) {
                    refusal = e.status();
                } finally {
                    in.release();
                }
            }
            waiting = current != null || parser.inProgress();
        } finally {
            parser.reset();
            all.release();
        }
        return new Outcome(out, refusal, refusal == 0 && waiting);
    }

    static String describe(Request r) {
        StringBuilder sb = new StringBuilder();
        sb.append(r.method()).append(' ').append(r.target()).append(' ').append(r.version())
                .append("\npath: ").append(r.path());
        if (r.query() != null) {
            sb.append("\nquery: ").append(r.query());
        }
        sb.append("\nkeep-alive: ").append(r.isKeepAlive());
        if (r.expectContinue) {
            sb.append("\nexpect: 100-continue");
        }
        if (r.isUpgrade()) {
            sb.append("\nupgrade");
        }
        sb.append("\nlength: ").append(r.contentLength());
        Headers h = r.headers();
        for (int i = 0; i < h.size(); i++) {
            sb.append("\n").append(h.name(i)).append(": [").append(h.value(i)).append("]");
        }
        sb.append('\n');
        return sb.toString();
    }
}
