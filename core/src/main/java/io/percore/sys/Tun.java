package io.percore.sys;

import static io.percore.sys.Native.C_INT;
import static io.percore.sys.Native.C_LONG;
import static io.percore.sys.Native.C_POINTER;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * Linux TUN/TAP devices ({@code /dev/net/tun}) and the few interface and namespace calls that go with them:
 * opening a TAP queue (TUNSETIFF with IFF_TAP, IFF_NO_PI, optionally IFF_VNET_HDR and IFF_MULTI_QUEUE),
 * choosing offloads (TUNSETOFFLOAD), bringing the interface up and setting its MTU (SIOCSIFFLAGS, SIOCSIFMTU on
 * an AF_INET datagram socket), gathered writes ({@code writev}) and moving a thread into a network namespace
 * ({@code setns}).
 *
 * <p>Network namespaces are per thread in Linux: TUNSETIFF creates or finds the interface in the namespace of the
 * calling thread, and the descriptor keeps working from any thread afterwards. {@link #openInNamespace} uses that
 * to open a TAP inside a namespace without moving any thread of the caller.
 *
 * <p>With IFF_VNET_HDR every frame read or written is preceded by a {@code struct virtio_net_hdr} (10 bytes,
 * little-endian): flags (NEEDS_CSUM: the checksum at csum_start + csum_offset still has to be completed; DATA_VALID:
 * the kernel verified it), the GSO type and segment size of a large segment, and the header length.
 *
 * <p>Thread-safety: static methods may be called from any thread; the kernel serialises calls on one descriptor.
 * {@link #writev} does not allocate.
 */
public final class Tun {
    private Tun() {}

    /** A layer-2 (Ethernet) device. */
    public static final int IFF_TAP = 0x0002;
    /** No 4-byte packet-information prefix. */
    public static final int IFF_NO_PI = 0x1000;
    /** Each queue is a separate descriptor of the same interface; the kernel spreads flows over them. */
    public static final int IFF_MULTI_QUEUE = 0x0100;
    /** Frames carry a virtio_net_hdr (checksum and segmentation offload). */
    public static final int IFF_VNET_HDR = 0x4000;

    /** Offload: we accept frames with partial checksums. */
    public static final int TUN_F_CSUM = 0x01;
    /** Offload: we accept TCP/IPv4 segments larger than the MTU (needs {@link #TUN_F_CSUM}). */
    public static final int TUN_F_TSO4 = 0x02;
    /** Offload: we accept TCP/IPv6 segments larger than the MTU (needs {@link #TUN_F_CSUM}). */
    public static final int TUN_F_TSO6 = 0x04;

    /** Size of {@code struct virtio_net_hdr} (without num_buffers). */
    public static final int VNET_HDR_SIZE = 10;
    /** virtio_net_hdr flag: the checksum field at csum_start + csum_offset holds only the pseudo-header sum. */
    public static final int VNET_F_NEEDS_CSUM = 1;
    /** virtio_net_hdr flag: the checksum was verified by the sender. */
    public static final int VNET_F_DATA_VALID = 2;
    /** virtio_net_hdr gso_type values. */
    public static final int VNET_GSO_NONE = 0, VNET_GSO_TCPV4 = 1, VNET_GSO_UDP = 3, VNET_GSO_TCPV6 = 4;

    private static final long TUNSETIFF = 0x400454caL;
    private static final long TUNSETOFFLOAD = 0x400454d0L;
    private static final long TUNSETVNETHDRSZ = 0x400454d8L;
    private static final long TUNGETFEATURES = 0x800454cfL;
    private static final long SIOCGIFFLAGS = 0x8913L, SIOCSIFFLAGS = 0x8914L, SIOCSIFMTU = 0x8922L;
    private static final long SIOCGIFHWADDR = 0x8927L;
    private static final int IFF_UP = 0x1;
    private static final int O_RDWR = 2;
    private static final int AF_INET = 2, SOCK_DGRAM = 2;
    private static final int CLONE_NEWNET = 0x40000000;
    private static final int IFREQ_SIZE = 40, IFNAMSIZ = 16;

    private static final MethodHandle OPEN = Native.downcallErrno("open",
            FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT), Linker.Option.firstVariadicArg(2));
    /** {@code ioctl(int, unsigned long, void *)}: every request used here takes a pointer. */
    private static final MethodHandle IOCTL_PTR = Native.downcallErrno("ioctl",
            FunctionDescriptor.of(C_INT, C_INT, C_LONG, C_POINTER), Linker.Option.firstVariadicArg(2));
    /** TUNSETOFFLOAD takes the flags by value. */
    private static final MethodHandle IOCTL_LONG = Native.downcallErrno("ioctl",
            FunctionDescriptor.of(C_INT, C_INT, C_LONG, C_LONG), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle WRITEV = Native.downcallErrno("writev",
            FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_INT));
    private static final MethodHandle SOCKET = Native.downcallErrno("socket",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT));
    private static final MethodHandle SETNS = Native.downcallErrno("setns",
            FunctionDescriptor.of(C_INT, C_INT, C_INT));

    /** Size of one {@code struct iovec}. */
    public static final int IOVEC_SIZE = 16;

    /**
     * Opens one queue of TAP interface {@code name} in the calling thread's network namespace, creating the
     * interface when absent (it then lives until its last queue is closed). The descriptor is non-blocking
     * and close-on-exec.
     *
     * @param flags {@link #IFF_TAP} | {@link #IFF_NO_PI} plus optionally {@link #IFF_VNET_HDR},
     *              {@link #IFF_MULTI_QUEUE}
     * @return the descriptor
     * @throws ErrnoException e.g. EPERM without CAP_NET_ADMIN, EINVAL when the flags differ from the existing
     *                        interface's, EBUSY when a single-queue interface is already open
     */
    public static int openTap(String name, int flags) {
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        if (nameBytes.length == 0 || nameBytes.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name must have 1 to 15 characters: '" + name + "'");
        }
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(Native.errnoSlot(), arena.allocateFrom("/dev/net/tun"),
                    O_RDWR | Fd.O_NONBLOCK | Fd.O_CLOEXEC, 0);
            Native.check(fd, "open /dev/net/tun");
            try {
                MemorySegment ifr = ifreq(arena, nameBytes);
                ifr.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, (short) flags);
                int r = (int) IOCTL_PTR.invokeExact(Native.errnoSlot(), fd, TUNSETIFF, ifr);
                if (r < 0) {
                    throw new ErrnoException(Native.lastErrno(), "ioctl", "TUNSETIFF " + name
                            + " flags 0x" + Integer.toHexString(flags));
                }
                if ((flags & IFF_VNET_HDR) != 0) {
                    MemorySegment size = arena.allocate(ValueLayout.JAVA_INT);
                    size.set(ValueLayout.JAVA_INT, 0, VNET_HDR_SIZE);
                    r = (int) IOCTL_PTR.invokeExact(Native.errnoSlot(), fd, TUNSETVNETHDRSZ, size);
                    if (r < 0) {
                        throw new ErrnoException(Native.lastErrno(), "ioctl", "TUNSETVNETHDRSZ " + name);
                    }
                }
                return fd;
            } catch (Throwable t) {
                Fd.close(fd);
                throw t;
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Tells the kernel which offloads this queue's reader accepts ({@link #TUN_F_CSUM}, {@link #TUN_F_TSO4},
     * {@link #TUN_F_TSO6}); frames it sends us may then have partial checksums or exceed the MTU.
     *
     * @throws ErrnoException EINVAL when the kernel does not offer a flag
     */
    public static void setOffload(int fd, int offloadFlags) {
        try {
            int r = (int) IOCTL_LONG.invokeExact(Native.errnoSlot(), fd, TUNSETOFFLOAD, (long) offloadFlags);
            if (r < 0) {
                throw new ErrnoException(Native.lastErrno(), "ioctl", "TUNSETOFFLOAD 0x" + Integer.toHexString(offloadFlags));
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** @return the IFF_* flags the kernel's tun driver supports (TUNGETFEATURES). */
    public static int features(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
            int r = (int) IOCTL_PTR.invokeExact(Native.errnoSlot(), fd, TUNGETFEATURES, v);
            Native.check(r, "ioctl TUNGETFEATURES");
            return v.get(ValueLayout.JAVA_INT, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Brings interface {@code name} (of the calling thread's namespace) up, and sets its MTU when {@code mtu > 0}.
     *
     * @throws ErrnoException e.g. ENODEV when there is no such interface
     */
    public static void setUp(String name, int mtu) {
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        try (Arena arena = Arena.ofConfined()) {
            int sock = (int) SOCKET.invokeExact(Native.errnoSlot(), AF_INET, SOCK_DGRAM | Fd.O_CLOEXEC, 0);
            Native.check(sock, "socket");
            try {
                MemorySegment ifr = ifreq(arena, nameBytes);
                if (mtu > 0) {
                    ifr.set(ValueLayout.JAVA_INT, IFNAMSIZ, mtu);
                    ioctl(sock, SIOCSIFMTU, ifr, name);
                }
                ifr = ifreq(arena, nameBytes);
                ioctl(sock, SIOCGIFFLAGS, ifr, name);
                short f = ifr.get(ValueLayout.JAVA_SHORT, IFNAMSIZ);
                ifr.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, (short) (f | IFF_UP));
                ioctl(sock, SIOCSIFFLAGS, ifr, name);
            } finally {
                Fd.close(sock);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** @return the 6-byte hardware address of interface {@code name} in the calling thread's namespace. */
    public static byte[] hardwareAddress(String name) {
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        try (Arena arena = Arena.ofConfined()) {
            int sock = (int) SOCKET.invokeExact(Native.errnoSlot(), AF_INET, SOCK_DGRAM | Fd.O_CLOEXEC, 0);
            Native.check(sock, "socket");
            try {
                MemorySegment ifr = ifreq(arena, nameBytes);
                ioctl(sock, SIOCGIFHWADDR, ifr, name);
                // struct sockaddr: sa_family (2 bytes) then sa_data, whose first 6 bytes are the address.
                return ifr.asSlice(IFNAMSIZ + 2, 6).toArray(ValueLayout.JAVA_BYTE);
            } finally {
                Fd.close(sock);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Moves the <em>calling thread</em> into the network namespace at {@code path} (e.g.
     * {@code /var/run/netns/NAME}); sockets and TAP queues it opens afterwards belong there. Use a dedicated thread:
     * the thread stays in that namespace.
     *
     * @throws ErrnoException e.g. ENOENT for a missing namespace, EPERM without CAP_SYS_ADMIN
     */
    public static void enterNetworkNamespace(String path) {
        try (Arena arena = Arena.ofConfined()) {
            int nsFd = (int) OPEN.invokeExact(Native.errnoSlot(), arena.allocateFrom(path), Fd.O_CLOEXEC, 0);
            if (nsFd < 0) {
                throw new ErrnoException(Native.lastErrno(), "open", path);
            }
            try {
                int r = (int) SETNS.invokeExact(Native.errnoSlot(), nsFd, CLONE_NEWNET);
                if (r < 0) {
                    throw new ErrnoException(Native.lastErrno(), "setns", path);
                }
            } finally {
                Fd.close(nsFd);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Runs {@code action} on a new short-lived platform thread that first enters the network namespace at
     * {@code nsPath} (null: stays in the caller's namespace), and returns its result; the caller's threads never
     * change namespace. Any thread; blocks until the action finished.
     */
    public static <T> T inNamespace(String nsPath, java.util.function.Supplier<T> action) {
        if (nsPath == null) {
            return action.get();
        }
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread t = Thread.ofPlatform().name("percore-netns").start(() -> {
            try {
                enterNetworkNamespace(nsPath);
                result[0] = action.get();
            } catch (Throwable e) {
                failure[0] = e;
            }
        });
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening in namespace " + nsPath, e);
        }
        if (failure[0] instanceof RuntimeException re) {
            throw re;
        }
        if (failure[0] instanceof Error err) {
            throw err;
        }
        @SuppressWarnings("unchecked")
        T value = (T) result[0];
        return value;
    }

    /**
     * Gathered write of {@code count} iovecs (each {@link #IOVEC_SIZE} bytes: base address, length) at the start
     * of {@code iov}, retrying on EINTR. Does not allocate.
     *
     * @return bytes written, or -1 when a non-blocking descriptor cannot take the frame now (EAGAIN)
     * @throws ErrnoException on any other failure (EINVAL for a malformed frame or vnet header, EIO when down)
     */
    public static long writev(int fd, MemorySegment iov, int count) {
        if ((long) count * IOVEC_SIZE > iov.byteSize()) {
            throw new IndexOutOfBoundsException(count + " iovecs do not fit in " + iov.byteSize() + " bytes");
        }
        try {
            for (;;) {
                long n = (long) WRITEV.invokeExact(Native.errnoSlot(), fd, iov, count);
                if (n >= 0) {
                    return n;
                }
                if (Native.wouldBlock("writev", fd)) {
                    return -1;
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static MemorySegment ifreq(Arena arena, byte[] name) {
        MemorySegment ifr = arena.allocate(IFREQ_SIZE, 8);
        MemorySegment.copy(name, 0, ifr, ValueLayout.JAVA_BYTE, 0, name.length);
        return ifr;
    }

    private static void ioctl(int fd, long request, MemorySegment arg, String what) throws Throwable {
        int r = (int) IOCTL_PTR.invokeExact(Native.errnoSlot(), fd, request, arg);
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "ioctl", "0x" + Long.toHexString(request) + " on " + what);
        }
    }
}
