package io.percore.sctp;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * Parameters of an association: what INIT asks for (the SCTP_INITMSG equivalent) and the protocol tunables of
 * RFC 9260 section 16. Start from {@link #defaults()} and change fields with the {@code with*} methods.
 * Immutable; any thread.
 *
 * @param outStreams        outbound streams asked for (1..65535); the peer may grant fewer
 * @param maxInStreams      inbound streams accepted at most (1..65535)
 * @param maxInitAttempts   INIT (and COOKIE-ECHO) transmissions before connect fails
 * @param rtoInitial        RTO before any round trip is measured
 * @param rtoMin            lower bound of the RTO
 * @param rtoMax            upper bound of the RTO (and of the INIT back-off)
 * @param assocMaxRetrans   consecutive unanswered retransmissions/heartbeats before the association is lost
 * @param pathMaxRetrans    consecutive errors before a peer address is marked unreachable
 * @param heartbeatInterval idle time between heartbeats on each path
 * @param cookieLifetime    how long a state cookie stays valid (listener side)
 * @param sackDelay         longest delay of a SACK for a single packet
 * @param pathMtu           largest IP packet, headers included
 * @param receiveBuffer     bytes the receiver holds at most (its advertised window)
 * @param sendBuffer        bytes queued or unacknowledged before {@code send} waits
 * @param maxMessageSize    largest message accepted by {@code send}
 * @param events            notification kinds delivered in the receive feed
 */
public record InitOptions(int outStreams, int maxInStreams, int maxInitAttempts, Duration rtoInitial,
                          Duration rtoMin, Duration rtoMax, int assocMaxRetrans, int pathMaxRetrans,
                          Duration heartbeatInterval, Duration cookieLifetime, Duration sackDelay, int pathMtu,
                          int receiveBuffer, int sendBuffer, int maxMessageSize, Set<SctpNotification.Kind> events) {
    public InitOptions {
        if (outStreams < 1 || outStreams > 0xFFFF || maxInStreams < 1 || maxInStreams > 0xFFFF) {
            throw new IllegalArgumentException("stream counts must be 1..65535");
        }
        if (maxInitAttempts < 1 || assocMaxRetrans < 1 || pathMaxRetrans < 1) {
            throw new IllegalArgumentException("retransmission limits must be positive");
        }
        if (pathMtu < 576 || pathMtu > 65535) {
            throw new IllegalArgumentException("path MTU must be 576..65535");
        }
        if (receiveBuffer < 1500 || sendBuffer < 1 || maxMessageSize < 1) {
            throw new IllegalArgumentException("buffers too small");
        }
        if (rtoMin.isNegative() || rtoMin.isZero() || rtoMax.compareTo(rtoMin) < 0 || rtoInitial.compareTo(rtoMin) < 0) {
            throw new IllegalArgumentException("need 0 < rtoMin <= rtoInitial, rtoMin <= rtoMax");
        }
        events = events.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(events));
    }

    /** @return RFC 9260's recommended values, 10 streams each way, 1500-byte MTU, 1 MiB buffers, no events. */
    public static InitOptions defaults() {
        return new InitOptions(10, 10, 8, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(60),
                10, 5, Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMillis(200), 1500,
                1 << 20, 1 << 20, 1 << 20, Set.of());
    }

    /** @return a copy with these stream counts. */
    public InitOptions withStreams(int out, int maxIn) {
        return new InitOptions(out, maxIn, maxInitAttempts, rtoInitial, rtoMin, rtoMax, assocMaxRetrans,
                pathMaxRetrans, heartbeatInterval, cookieLifetime, sackDelay, pathMtu, receiveBuffer, sendBuffer,
                maxMessageSize, events);
    }

    /** @return a copy with these RTO bounds. */
    public InitOptions withRto(Duration initial, Duration min, Duration max) {
        return new InitOptions(outStreams, maxInStreams, maxInitAttempts, initial, min, max, assocMaxRetrans,
                pathMaxRetrans, heartbeatInterval, cookieLifetime, sackDelay, pathMtu, receiveBuffer, sendBuffer,
                maxMessageSize, events);
    }

    /** @return a copy with these retransmission limits. */
    public InitOptions withRetransmissionLimits(int initAttempts, int assocMax, int pathMax) {
        return new InitOptions(outStreams, maxInStreams, initAttempts, rtoInitial, rtoMin, rtoMax, assocMax,
                pathMax, heartbeatInterval, cookieLifetime, sackDelay, pathMtu, receiveBuffer, sendBuffer,
                maxMessageSize, events);
    }

    /** @return a copy with this heartbeat interval. */
    public InitOptions withHeartbeatInterval(Duration interval) {
        return new InitOptions(outStreams, maxInStreams, maxInitAttempts, rtoInitial, rtoMin, rtoMax,
                assocMaxRetrans, pathMaxRetrans, interval, cookieLifetime, sackDelay, pathMtu, receiveBuffer,
                sendBuffer, maxMessageSize, events);
    }

    /** @return a copy with this cookie lifetime. */
    public InitOptions withCookieLifetime(Duration lifetime) {
        return new InitOptions(outStreams, maxInStreams, maxInitAttempts, rtoInitial, rtoMin, rtoMax,
                assocMaxRetrans, pathMaxRetrans, heartbeatInterval, lifetime, sackDelay, pathMtu, receiveBuffer,
                sendBuffer, maxMessageSize, events);
    }

    /** @return a copy with this SACK delay. */
    public InitOptions withSackDelay(Duration delay) {
        return new InitOptions(outStreams, maxInStreams, maxInitAttempts, rtoInitial, rtoMin, rtoMax,
                assocMaxRetrans, pathMaxRetrans, heartbeatInterval, cookieLifetime, delay, pathMtu, receiveBuffer,
                sendBuffer, maxMessageSize, events);
    }

    /** @return a copy with this path MTU. */
    public InitOptions withPathMtu(int mtu) {
        return new InitOptions(outStreams, maxInStreams, maxInitAttempts, rtoInitial, rtoMin, rtoMax,
                assocMaxRetrans, pathMaxRetrans, heartbeatInterval, cookieLifetime, sackDelay, mtu, receiveBuffer,
                sendBuffer, maxMessageSize, events);
    }

    /** @return a copy with these buffer sizes and message limit. */
    public InitOptions withBuffers(int receive, int send, int maxMessage) {
        return new InitOptions(outStreams, maxInStreams, maxInitAttempts, rtoInitial, rtoMin, rtoMax,
                assocMaxRetrans, pathMaxRetrans, heartbeatInterval, cookieLifetime, sackDelay, pathMtu, receive,
                send, maxMessage, events);
    }

    /** @return a copy subscribed to these notification kinds. */
    public InitOptions withEvents(Set<SctpNotification.Kind> kinds) {
        return new InitOptions(outStreams, maxInStreams, maxInitAttempts, rtoInitial, rtoMin, rtoMax,
                assocMaxRetrans, pathMaxRetrans, heartbeatInterval, cookieLifetime, sackDelay, pathMtu,
                receiveBuffer, sendBuffer, maxMessageSize, kinds);
    }
}
