/**
 * {@code ./percore echo}: a TCP and UDP echo server on one port, IPv4 and IPv6 (dual stack), on every shard —
 * the smallest program over the network stack, and the first thing to point {@code nc} at:
 * <pre>
 * ./percore echo --port 10001 &amp;
 * nc localhost 10001            # TCP: every line comes back
 * nc -u ::1 10001               # UDP: every datagram comes back
 * </pre>
 */
package io.percore.apps.echo;
