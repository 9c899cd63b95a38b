/**
 * percore's own TCP/IP stack in user space ({@code --network-stack native}), behind the same
 * {@link io.percore.net.NetworkStack} API as the kernel's.
 *
 * <h2>Shape</h2>
 * A {@link io.percore.net.stack.NetDevice} (a TAP interface, an existing interface through AF_PACKET rings and a
 * fanout group ({@link io.percore.net.stack.PacketDevice}), an in-memory wire, or any of them wrapped by the
 * {@link io.percore.net.stack.FaultInjectingDevice}) has one queue per shard. A
 * {@link io.percore.net.stack.NativeNetwork} holds what the shards share (addresses, the flow hash, which shards
 * listen on which port, the SYN cookie secret); each shard runs a {@link io.percore.net.stack.NativeStack} on its
 * queue: a reactor poller reads frames in batches, parses Ethernet, ARP, IPv4 (with reassembly), IPv6 (with NDP and
 * reassembly), ICMP/ICMPv6, UDP and TCP in place, and drops and counts anything malformed.
 *
 * <h2>Flow ownership</h2>
 * A connection lives on exactly one shard: the one its 4-tuple hashes to (for a listening port, among the shards
 * that listen). The hash ({@link io.percore.net.stack.FlowSteering}) is 32-bit multiply-xorshift over the addresses
 * and ports, simple enough for classic BPF: the AF_PACKET device gives the kernel the same function as a fanout
 * program, so every TCP and UDP frame lands on its owner's queue (a test runs the program against the Java function
 * on many frames, and another counts hand-overs through a real kernel). A device that spreads flows by its own hash
 * (the tun driver learns the queue a flow was last sent from; AF_PACKET when the kernel refuses the program) delivers
 * most frames to the right shard; the others are copied once to their owner through the cross-shard queues.
 * {@code connect()} picks a source port whose flow hashes to the calling shard, so replies never cross.
 *
 * <h2>Zero copy</h2>
 * A TAP queue reads frames one after another into 256 KiB areas from the shard's pool; in-order TCP payload and UDP
 * datagrams reach the application as views of those areas. Sent data stays in the application's buffers: segments
 * and retransmissions are views of them gathered behind a header with one {@code writev}. With the virtio-net header
 * the kernel completes checksums and cuts 60 KB segments into MSS-sized ones (TSO), and hands us its large segments.
 *
 * <h2>Addresses</h2>
 * Static ({@link io.percore.net.stack.NativeStackConfig}) or from a DHCPv4 server: the
 * {@link io.percore.net.stack.DhcpClient} runs on one shard over the stack's own UDP, broadcasting from 0.0.0.0 until
 * a lease gives the network its address, netmask and gateway, and keeps renewing it.
 *
 * <h2>TCP</h2>
 * RFC 9293 state machine with MSS, window scale, SACK-permitted and timestamp options; SYN cookies once a
 * listener's SYN queue reaches its backlog (window scale and SACK carried in the timestamp); RTO per RFC 6298;
 * fast retransmit, SACK recovery (RFC 6675) or NewReno (RFC 6582); CUBIC or NewReno congestion control; delayed ACKs;
 * Nagle off by default; zero-window probes; keep-alive; RST and challenge ACKs; TIME_WAIT; a receive window capped by
 * the shard's free memory.
 */
package io.percore.net.stack;
