/**
 * {@code ./percore bench tcp}: percore's echo server on each reactor backend against a Netty 4.2 echo server on
 * epoll and io_uring, 64 connections of 64-byte ping-pong, one server CPU and one load-generator CPU.
 *
 * <p>The question it answers is what a request costs the server, so the headline is requests per server
 * CPU-second (utime + stime of the server process over the measured rounds), beside requests per second and the
 * round trip. Every server and its load generator is a separate JVM pinned with taskset, all started together
 * and measured in interleaved rounds so that a shared machine's noise falls on all alike. System calls per
 * request come from a separate, untimed run under {@code strace -c -f}. {@link io.percore.bench.tcp.TcpBench} is
 * the harness, {@link io.percore.bench.tcp.TcpLoadClient} the load generator, and
 * {@link io.percore.bench.tcp.NettyEchoServer} the peer; docs/BENCHMARKS.md has the figures and what they show.
 */
package io.percore.bench.tcp;
