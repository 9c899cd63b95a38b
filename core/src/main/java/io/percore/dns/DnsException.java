package io.percore.dns;

import io.percore.net.SocketAddress;

/**
 * A name could not be resolved, or a DNS message could not be read. Carries the name asked about and the server
 * that gave (or failed to give) the answer, so that a log line says what was asked of whom. The subclasses name
 * the cases a caller may want to tell apart: the name does not exist, nobody answered in time, the server
 * failed, the answer was malformed. Immutable; any thread.
 */
public class DnsException extends RuntimeException {
    private final String name;
    private final SocketAddress server;

    /**
     * @param message what went wrong, without the name and server (they are appended)
     * @param name    the name asked about, or null when none applies (a bare message decode)
     * @param server  the server concerned, or null (the hosts file, several servers, a decode)
     * @param cause   the underlying failure, or null
     */
    protected DnsException(String message, String name, SocketAddress server, Throwable cause) {
        super(message + (name == null ? "" : " for '" + name + "'") + (server == null ? "" : " from " + server),
                cause);
        this.name = name;
        this.server = server;
    }

    /** @return the name asked about, or null. */
    public String name() {
        return name;
    }

    /** @return the server concerned, or null when the failure involves no single server. */
    public SocketAddress server() {
        return server;
    }

    /**
     * The name does not exist (NXDOMAIN), or exists without records of the type asked for (NODATA): a definite
     * answer, cached like a positive one when the server says for how long.
     */
    public static final class NameNotFound extends DnsException {
        private final boolean noSuchDomain;

        /**
         * @param noSuchDomain true for NXDOMAIN (no such name at all), false when the name exists without
         *                     records of the requested type
         */
        public NameNotFound(String name, SocketAddress server, boolean noSuchDomain) {
            super(noSuchDomain ? "no such domain" : "no records of the requested type", name, server, null);
            this.noSuchDomain = noSuchDomain;
        }

        /** @return true for NXDOMAIN, false for "the name exists but has no such records". */
        public boolean noSuchDomain() {
            return noSuchDomain;
        }
    }

    /** No usable answer arrived in time: every attempt on every server timed out. */
    public static final class Timeout extends DnsException {
        /** @param what what timed out ("no answer over UDP within 5000 ms"); {@code server}: the last one tried */
        public Timeout(String what, String name, SocketAddress server) {
            super(what, name, server, null);
        }
    }

    /**
     * The server answered with an error code (SERVFAIL, REFUSED, NOTIMP, FORMERR…), or could not be reached
     * at all ({@link #rcode()} is then -1 and the cause is the network error).
     */
    public static final class ServerFailure extends DnsException {
        private final int rcode;

        /** @param rcode the response code, or -1 when the server could not be reached ({@code cause} says why) */
        public ServerFailure(int rcode, String name, SocketAddress server, Throwable cause) {
            super(rcode < 0 ? "server unreachable" : "server failure (" + DnsMessage.rcodeName(rcode) + ")",
                    name, server, cause);
            this.rcode = rcode;
        }

        /** @return the response code ({@link DnsMessage#SERVFAIL} and friends), or -1 for a network error. */
        public int rcode() {
            return rcode;
        }
    }

    /**
     * A message broke the protocol: cut short, a compression pointer out of bounds or in a loop, a record of
     * the wrong length, a CNAME chain that loops or runs too long. Parsing throws only this.
     */
    public static final class Malformed extends DnsException {
        private final int offset;

        /** A decoding failure at byte {@code offset} of the message (-1 when no offset applies). */
        public Malformed(String message, int offset) {
            super(offset < 0 ? message : message + " at offset " + offset, null, null, null);
            this.offset = offset;
        }

        /** A malformed answer to a query for {@code name} from {@code server}; {@code cause} is the decode failure. */
        public Malformed(String message, String name, SocketAddress server, Throwable cause) {
            super(message, name, server, cause);
            this.offset = cause instanceof Malformed m ? m.offset : -1;
        }

        /** @return the byte offset in the message where decoding failed, or -1. */
        public int offset() {
            return offset;
        }
    }
}
