package io.percore.sctp;

/**
 * What {@link SctpAssociation#receive()} returns: a received message or, when subscribed, a notification, in one
 * ordered feed (the SCTP_EVENT / MSG_NOTIFICATION model, as typed objects).
 */
public sealed interface SctpEvent permits SctpReceivedMessage, SctpNotification {
}
