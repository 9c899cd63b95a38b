/**
 * The I/O engines under the reactor, chosen at start-up with {@code --reactor-backend}: one
 * {@link io.percore.reactor.ReactorBackend} interface, one implementation per kernel interface (epoll now;
 * io_uring and linux-aio join with the network layer). Each backend owns an eventfd through which other shards end
 * its idle sleep. All system calls go through {@code io.percore.sys}.
 */
package io.percore.reactor;
