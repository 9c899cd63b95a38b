package io.percore.net.stack;

/**
 * What one shard's native stack has seen and done, for metrics and tests. Plain fields written by the owning shard
 * only; read them on that shard (e.g. through {@code Smp.submitTo}).
 */
public final class StackCounters {
    /** Frames received from the device queue (before any check). */
    public long framesReceived;
    /** Frames handed to the device queue. */
    public long framesSent;
    /** Frames or packets handed to another shard because it owns their flow. */
    public long handedOff;
    /** Frames or packets received from another shard. */
    public long handedIn;
    /** Dropped: too short, bad lengths, bad version or header fields, bogus options. */
    public long malformed;
    /** Dropped: a bad IP, ICMP, UDP or TCP checksum. */
    public long badChecksum;
    /** Dropped: addressed to another host or an unknown protocol. */
    public long notForUs;
    /** Fragments received, datagrams rebuilt from them, and datagrams given up (timeout, overlap, limits). */
    public long fragments, reassembled, reassemblyFailed;
    /** ICMP/ICMPv6 echo requests answered. */
    public long echoReplies;
    /** Neighbour (ARP / NDP) requests sent, and frames dropped because no neighbour answered. */
    public long neighbourRequests, neighbourDrops;
    /** UDP datagrams received for no bound channel, or dropped because a channel's queue was full. */
    public long udpNoPort, udpQueueDrops;
    /** TCP: segments sent and received, retransmitted segments, resets sent. */
    public long tcpSegmentsSent, tcpSegmentsReceived, tcpRetransmits, tcpResetsSent;
    /** TCP: SYN cookies sent, and connections established from a valid cookie. */
    public long synCookiesSent, synCookiesAccepted;

    @Override
    public String toString() {
        return "rx " + framesReceived + " tx " + framesSent + " handedOff " + handedOff + " malformed " + malformed
                + " badChecksum " + badChecksum + " notForUs " + notForUs + " frags " + fragments + "/" + reassembled
                + "/" + reassemblyFailed + " tcp tx " + tcpSegmentsSent + " rx " + tcpSegmentsReceived + " rexmit "
                + tcpRetransmits + " rst " + tcpResetsSent + " cookies " + synCookiesSent + "/" + synCookiesAccepted;
    }
}
