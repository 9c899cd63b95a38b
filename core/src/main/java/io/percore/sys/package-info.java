/**
 * The only place percore talks to the kernel.
 *
 * <h2>Why one package</h2>
 * Every system call the runtime makes (epoll, eventfd, timerfd, clocks, affinity, mmap, mbind, plain fd
 * I/O, and later io_uring, sockets and tun) is bound here through the FFM API, with its struct layouts
 * beside it. The layers above read like plain Java: they hold ints and {@code MemorySegment}s and call
 * methods named after the kernel concept ({@link io.percore.sys.Epoll}, {@link io.percore.sys.EventFd}).
 * Keeping the native surface in one package makes it small enough to audit, keeps per-architecture
 * details (the packed {@code epoll_event} on x86_64, mbind's system call number) in one place, and leaves
 * one package to port or fake.
 *
 * <h2>errno</h2>
 * {@link io.percore.sys.Native} binds each call with {@code Linker.Option.captureCallState("errno")}: the
 * linker copies errno into a per-thread slot right after the call returns, before the JVM can run code of
 * its own that would overwrite it. A failed call becomes an {@link io.percore.sys.ErrnoException} naming
 * the call, the errno (symbolic and numeric), strerror's text and what was being done. Results that are
 * normal on a non-blocking descriptor are not exceptions: EAGAIN from read/write is -1, an empty eventfd
 * or timerfd drains 0, EINTR in a wait is "no events".
 *
 * <h2>No allocation on hot paths</h2>
 * What a reactor calls every loop iteration (epoll wait and ctl, eventfd signal and drain, timerfd arm and
 * drain, clock reads, read and write) allocates nothing: handles are {@code static final} and invoked with
 * {@code invokeExact}, small structs are built in a per-thread scratch segment allocated once, and result
 * arrays such as {@link io.percore.sys.EpollEvents} are allocated by their owner once and reused. Start-up
 * calls (affinity masks, NUMA topology, mbind) allocate freely.
 *
 * <h2>Programs for the kernel</h2>
 * {@link io.percore.sys.ClassicBpf} assembles classic BPF programs (forward-only jumps, resolved labels, the kernel's
 * checker rules) and lays them out as {@code struct sock_fprog}; {@link io.percore.sys.PacketSocket} gives one to an
 * AF_PACKET fanout group (PACKET_FANOUT_CBPF), which then picks each frame's socket. What the program computes
 * belongs to the layer above (the native stack's flow hash); only its encoding lives here.
 *
 * <h2>Thread rules</h2>
 * Static helpers ({@code Fd}, {@code Clock}, {@code Mmap}, {@code Numa}) may be called from any thread;
 * {@code Affinity} always acts on the calling thread. Descriptor-owning objects ({@code Epoll},
 * {@code TimerFd}, {@code EpollEvents}) belong to one thread, their shard, like everything else a shard
 * owns. The exception is {@link io.percore.sys.EventFd#signal()}, which exists to be called by other
 * threads. Each type's Javadoc says which thread may call what.
 */
package io.percore.sys;
