package io.percore.sctp;

import java.util.List;

/**
 * Association events delivered in the receive feed of a subscribed association ({@link InitOptions#events()},
 * {@link SctpAssociation#subscribe}). Immutable records; any thread.
 */
public sealed interface SctpNotification extends SctpEvent {
    /** The kinds one subscribes to. */
    enum Kind {
        /** {@link AssociationUp}. */
        ASSOCIATION_UP,
        /** {@link AssociationLost}. */
        ASSOCIATION_LOST,
        /** {@link Restart}. */
        RESTART,
        /** {@link ShutdownComplete}. */
        SHUTDOWN_COMPLETE,
        /** {@link PeerAddressChange}. */
        PEER_ADDRESS_CHANGE,
        /** {@link SendFailed}. */
        SEND_FAILED
    }

    /** @return which kind this is. */
    Kind kind();

    /**
     * The association is established.
     *
     * @param outStreams negotiated outbound streams
     * @param inStreams  negotiated inbound streams
     */
    record AssociationUp(int outStreams, int inStreams) implements SctpNotification {
        public Kind kind() {
            return Kind.ASSOCIATION_UP;
        }
    }

    /**
     * The association is gone: the peer aborted it, or it stopped answering (retransmission limit reached).
     *
     * @param reason what happened, for people
     * @param causes the peer's ABORT causes, if it sent one
     */
    record AssociationLost(String reason, List<ErrorCause> causes) implements SctpNotification {
        public Kind kind() {
            return Kind.ASSOCIATION_LOST;
        }
    }

    /**
     * The peer restarted (a new INIT from the same endpoint): sequence numbers start again, streams renegotiated.
     *
     * @param outStreams negotiated outbound streams
     * @param inStreams  negotiated inbound streams
     */
    record Restart(int outStreams, int inStreams) implements SctpNotification {
        public Kind kind() {
            return Kind.RESTART;
        }
    }

    /** The graceful SHUTDOWN sequence completed. */
    record ShutdownComplete() implements SctpNotification {
        public Kind kind() {
            return Kind.SHUTDOWN_COMPLETE;
        }
    }

    /** States of a peer address in {@link PeerAddressChange}. */
    enum AddressState {
        /** Reachable again (or confirmed). */
        AVAILABLE,
        /** Failed: the path error limit was exceeded. */
        UNREACHABLE,
        /** Confirmed by a heartbeat answer. */
        CONFIRMED,
        /** Now the primary path. */
        MADE_PRIMARY
    }

    /**
     * A peer transport address changed state.
     *
     * @param address the peer address
     * @param state   its new state
     */
    record PeerAddressChange(io.percore.net.SocketAddress address, AddressState state) implements SctpNotification {
        public Kind kind() {
            return Kind.PEER_ADDRESS_CHANGE;
        }
    }

    /**
     * A message that was accepted by {@code send} will not be delivered (the association ended first).
     *
     * @param message the message; its payload now belongs to the application (release it, or send it again)
     * @param sent    true when some of it had been sent (unacknowledged), false when none had
     */
    record SendFailed(SctpMessage message, boolean sent) implements SctpNotification {
        public Kind kind() {
            return Kind.SEND_FAILED;
        }
    }
}
