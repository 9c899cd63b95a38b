package io.percore.sys;

import static io.percore.sys.Native.C_INT;
import static io.percore.sys.Native.C_LONG;
import static io.percore.sys.Native.C_POINTER;
import static io.percore.sys.Native.C_SIZE_T;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;

/**
 * Linux AF_PACKET sockets with memory-mapped rings (PACKET_MMAP): a raw Ethernet socket bound to one interface,
 * a TPACKET_V3 receive ring of blocks and a transmit ring of frames in one shared mapping, a fanout group that
 * spreads flows over several sockets (by the kernel's flow hash, or by a classic BPF program of the caller's,
 * {@link ClassicBpf}), qdisc bypass and promiscuous membership.
 *
 * <h2>The rings (TPACKET_V3)</h2>
 * The receive ring is {@code blockCount} blocks of {@code blockSize} bytes. Each block starts with a
 * {@code tpacket_block_desc}; the kernel fills it with packets, then hands it to user space by setting
 * {@link #BLOCK_STATUS} to {@link #TP_STATUS_USER} (when the block is full or its retire timer expired) and wakes
 * pollers. User space walks the packets ({@code tpacket3_hdr}, linked by {@link #PKT_NEXT_OFFSET}) and gives the
 * block back by storing {@link #TP_STATUS_KERNEL}. The transmit ring follows the receive ring in the mapping: frames
 * of {@code txFrameSize} bytes, each a {@code tpacket3_hdr} whose data starts at {@link #TX_DATA_OFFSET}; user space
 * writes a frame, sets its status to {@link #TP_STATUS_SEND_REQUEST} and calls {@link #kick}; the kernel sends
 * every requested frame and sets the status back to {@link #TP_STATUS_AVAILABLE} (or {@link #TP_STATUS_WRONG_FORMAT}).
 * Status words are shared with the kernel: read them with acquire and write them with release ordering
 * ({@link #STATUS}).
 *
 * <p>Thread-safety: static methods may be called from any thread; {@link #open} binds in the calling thread's
 * network namespace (enter one with {@link Tun#inNamespace}); the descriptor works from any thread afterwards.
 */
public final class PacketSocket {
    private PacketSocket() {}

    /** Address family. */
    public static final int AF_PACKET = 17;
    /** All Ethernet protocols, host order (the socket calls take it in network order). */
    public static final int ETH_P_ALL = 0x0003;
    /**
     * Fanout modes and flags ({@code PACKET_FANOUT_*}): the kernel's flow hash, or a classic BPF program that returns
     * the member's index (modulo the number of members; members are numbered in the order they joined).
     */
    public static final int FANOUT_HASH = 0, FANOUT_CBPF = 6, FANOUT_FLAG_DEFRAG = 0x8000;
    /** {@code sll_pkttype} values. */
    public static final int PACKET_HOST = 0, PACKET_BROADCAST = 1, PACKET_MULTICAST = 2, PACKET_OTHERHOST = 3,
            PACKET_OUTGOING = 4;

    /** Block status: owned by the kernel / handed to user space. */
    public static final int TP_STATUS_KERNEL = 0, TP_STATUS_USER = 1;
    /** Receive packet status bits: a packet was lost before this one for lack of room. */
    public static final int TP_STATUS_LOSING = 1 << 2;
    /** Receive packet status bits: the checksum is still partial (a local sender left it to offload). */
    public static final int TP_STATUS_CSUMNOTREADY = 1 << 3;
    /** Receive packet status bits: the VLAN tag was stripped into the header. */
    public static final int TP_STATUS_VLAN_VALID = 1 << 4;
    /** Receive packet status bits: the device verified the transport checksum. */
    public static final int TP_STATUS_CSUM_VALID = 1 << 7;
    /** Transmit frame status values. */
    public static final int TP_STATUS_AVAILABLE = 0, TP_STATUS_SEND_REQUEST = 1, TP_STATUS_SENDING = 2,
            TP_STATUS_WRONG_FORMAT = 4;

    /** Offsets in {@code struct tpacket_block_desc}. */
    public static final int BLOCK_STATUS = 8, BLOCK_NUM_PKTS = 12, BLOCK_FIRST_PKT = 16;
    /** Offsets in {@code struct tpacket3_hdr}. */
    public static final int PKT_NEXT_OFFSET = 0, PKT_SNAPLEN = 12, PKT_LEN = 16, PKT_STATUS = 20, PKT_MAC = 24;
    /** Offset of {@code sll_pkttype} behind a {@code tpacket3_hdr} (TPACKET_ALIGN(48) + 10). */
    public static final int PKT_PKTTYPE = 48 + 10;
    /** Where frame data starts in a transmit slot: TPACKET3_HDRLEN - sizeof(struct sockaddr_ll). */
    public static final int TX_DATA_OFFSET = 48;

    /** Reads and writes a status word with acquire / release ordering; coordinates are (segment, long offset). */
    public static final java.lang.invoke.VarHandle STATUS = ValueLayout.JAVA_INT.varHandle();

    private static final int SOCK_RAW = 3, SOCK_NONBLOCK = Fd.O_NONBLOCK, SOCK_CLOEXEC = Fd.O_CLOEXEC;
    private static final int SOL_PACKET = 263;
    private static final int PACKET_ADD_MEMBERSHIP = 1, PACKET_RX_RING = 5, PACKET_STATISTICS = 6,
            PACKET_VERSION = 10, PACKET_TX_RING = 13, PACKET_LOSS = 14, PACKET_VNET_HDR = 15, PACKET_FANOUT = 18,
            PACKET_QDISC_BYPASS = 20, PACKET_FANOUT_DATA = 22;
    private static final int TPACKET_V3 = 2;
    private static final int PACKET_MR_PROMISC = 1;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1;
    private static final long SIOCGIFMTU = 0x8921L;
    private static final int IFNAMSIZ = 16;

    private static final MethodHandle SOCKET = Native.downcallErrno("socket",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT));
    private static final MethodHandle SETSOCKOPT = Native.downcallErrno("setsockopt",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle GETSOCKOPT = Native.downcallErrno("getsockopt",
            FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER, C_POINTER));
    private static final MethodHandle BIND = Native.downcallErrno("bind",
            FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT));
    private static final MethodHandle SENDTO = Native.downcallErrno("sendto",
            FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_SIZE_T, C_INT, C_POINTER, C_INT));
    private static final MethodHandle IF_NAMETOINDEX = Native.downcallErrno("if_nametoindex",
            FunctionDescriptor.of(C_INT, C_POINTER));
    private static final MethodHandle MMAP = Native.downcallErrno("mmap",
            FunctionDescriptor.of(C_POINTER, C_POINTER, C_SIZE_T, C_INT, C_INT, C_INT, C_LONG));
    private static final MethodHandle MUNMAP = Native.downcallErrno("munmap",
            FunctionDescriptor.of(C_INT, C_POINTER, C_SIZE_T));
    private static final MethodHandle IOCTL_PTR = Native.downcallErrno("ioctl",
            FunctionDescriptor.of(C_INT, C_INT, C_LONG, C_POINTER), Linker.Option.firstVariadicArg(2));

    /**
     * Ring geometry of one socket.
     *
     * @param blockSize    receive block size (a multiple of the page size, large enough for the largest frame)
     * @param blockCount   receive blocks
     * @param retireMillis how long the kernel keeps a partly filled block before handing it over (at least 1)
     * @param txFrameSize  transmit slot size (a multiple of 16, at least {@link #TX_DATA_OFFSET} + the frame)
     * @param txFrameCount transmit slots; 0 for no transmit ring
     */
    public record RingSpec(int blockSize, int blockCount, int retireMillis, int txFrameSize, int txFrameCount) {
        /** @return bytes of the receive ring (the transmit ring starts there). */
        public long rxBytes() {
            return (long) blockSize * blockCount;
        }

        /** @return bytes of the whole mapping. */
        public long totalBytes() {
            return rxBytes() + (long) txFrameSize * txFrameCount;
        }
    }

    /**
     * An open, bound socket with its rings mapped.
     *
     * @param fd      the non-blocking descriptor
     * @param ring    the shared mapping: receive blocks, then transmit slots
     * @param ifindex the interface index it is bound to
     */
    public record Opened(int fd, MemorySegment ring, int ifindex) {}

    /**
     * Opens a non-blocking AF_PACKET socket for all protocols, sets TPACKET_V3, sets up and maps the rings
     * ({@code spec}), optionally bypasses the qdisc on transmit, binds to interface {@code ifname} of the calling
     * thread's namespace and, when {@code fanoutGroup >= 0}, joins that fanout group in hash mode (IP fragments
     * reassembled first so they hash alike). Malformed transmit frames are skipped (PACKET_LOSS) rather than
     * stopping the ring. Everything opened is closed again when a step fails.
     *
     * <p>With {@code vnetHeader} every frame received or sent through the rings is preceded by a
     * {@code struct virtio_net_hdr} ({@link Tun#VNET_HDR_SIZE} bytes, as on a TAP with IFF_VNET_HDR): received frames
     * say whether their checksum is partial or verified and whether they are large (GSO) segments, and sent frames may
     * leave their checksum to the kernel.
     *
     * @throws ErrnoException e.g. EPERM without CAP_NET_RAW, ENODEV for an unknown interface, EINVAL for a fanout
     *                        group that exists with another mode
     */
    public static Opened open(String ifname, RingSpec spec, boolean qdiscBypass, boolean vnetHeader, int fanoutGroup) {
        return open(ifname, spec, qdiscBypass, vnetHeader, fanoutGroup, null);
    }

    /**
     * Like {@link #open(String, RingSpec, boolean, boolean, int)}, but with a {@code steering} program the socket
     * joins the fanout group in {@link #FANOUT_CBPF} mode (IP fragments still reassembled first) and gives the group
     * the program ({@link #setFanoutProgram}): the program's return value, modulo the number of members, picks the
     * member that gets the frame. Until a member sets the program the kernel gives every frame to member 0. Every
     * member must join with the same mode; null steering means hash mode.
     *
     * @throws ErrnoException also EINVAL when the kernel knows no CBPF fanout or its checker refuses the program
     */
    public static Opened open(String ifname, RingSpec spec, boolean qdiscBypass, boolean vnetHeader, int fanoutGroup,
                              ClassicBpf.Program steering) {
        int ifindex = interfaceIndex(ifname);
        int fd;
        try {
            fd = (int) SOCKET.invokeExact(Native.errnoSlot(), AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    (int) Short.reverseBytes((short) ETH_P_ALL) & 0xffff);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        Native.check(fd, "socket(AF_PACKET)");
        MemorySegment ring = null;
        try (Arena arena = Arena.ofConfined()) {
            setInt(arena, fd, PACKET_VERSION, TPACKET_V3, "PACKET_VERSION");
            setInt(arena, fd, PACKET_LOSS, 1, "PACKET_LOSS");
            if (vnetHeader) {
                setInt(arena, fd, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR"); // before the rings, or EBUSY
            }
            if (qdiscBypass) {
                setInt(arena, fd, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");
            }
            MemorySegment req = arena.allocate(28, 4);
            req.set(ValueLayout.JAVA_INT, 0, spec.blockSize());
            req.set(ValueLayout.JAVA_INT, 4, spec.blockCount());
            req.set(ValueLayout.JAVA_INT, 8, 2048); // tp_frame_size: only checked for consistency in V3
            req.set(ValueLayout.JAVA_INT, 12, (int) (spec.rxBytes() / 2048));
            req.set(ValueLayout.JAVA_INT, 16, Math.max(1, spec.retireMillis()));
            setOpt(fd, PACKET_RX_RING, req, "PACKET_RX_RING");
            if (spec.txFrameCount() > 0) {
                // A V3 transmit ring is frame-based: block = frame, and the retire/priv fields must be 0.
                req.fill((byte) 0);
                req.set(ValueLayout.JAVA_INT, 0, spec.txFrameSize() * Math.max(1, 4096 / spec.txFrameSize()));
                req.set(ValueLayout.JAVA_INT, 4, spec.txFrameCount() / Math.max(1, 4096 / spec.txFrameSize()));
                req.set(ValueLayout.JAVA_INT, 8, spec.txFrameSize());
                req.set(ValueLayout.JAVA_INT, 12, spec.txFrameCount());
                setOpt(fd, PACKET_TX_RING, req, "PACKET_TX_RING");
            }
            ring = map(fd, spec.totalBytes());
            MemorySegment sll = arena.allocate(20, 4);
            sll.set(ValueLayout.JAVA_SHORT, 0, (short) AF_PACKET);
            sll.set(ValueLayout.JAVA_SHORT, 2, Short.reverseBytes((short) ETH_P_ALL));
            sll.set(ValueLayout.JAVA_INT, 4, ifindex);
            int r = (int) BIND.invokeExact(Native.errnoSlot(), fd, sll, 20);
            if (r < 0) {
                throw new ErrnoException(Native.lastErrno(), "bind", "AF_PACKET to " + ifname);
            }
            if (fanoutGroup >= 0) {
                joinFanout(fd, fanoutGroup, steering);
            }
            return new Opened(fd, ring, ifindex);
        } catch (Throwable t) {
            if (ring != null) {
                unmap(ring);
            }
            Fd.close(fd);
            throw Native.rethrow(t);
        }
    }

    /**
     * Joins bound socket {@code fd} to fanout group {@code group} (IP fragments reassembled first): in hash mode when
     * {@code steering} is null, else in {@link #FANOUT_CBPF} mode, giving the group the program
     * ({@link #setFanoutProgram}). A socket joins one group for good: only closing it leaves.
     *
     * @throws ErrnoException EINVAL when the group exists with another mode, the kernel knows no CBPF fanout or its
     *                        checker refuses the program (the socket may then be in the group without a program)
     */
    public static void joinFanout(int fd, int group, ClassicBpf.Program steering) {
        try (Arena arena = Arena.ofConfined()) {
            int mode = steering == null ? FANOUT_HASH : FANOUT_CBPF;
            setInt(arena, fd, PACKET_FANOUT, (group & 0xffff) | ((mode | FANOUT_FLAG_DEFRAG) << 16),
                    "PACKET_FANOUT group " + group + (steering == null ? " hash" : " cbpf"));
        }
        if (steering != null) {
            setFanoutProgram(fd, steering);
        }
    }

    /**
     * Gives the fanout group that socket {@code fd} joined in {@link #FANOUT_CBPF} mode its steering program
     * (PACKET_FANOUT_DATA with a {@code struct sock_fprog}); it replaces the group's previous program, for every
     * member at once.
     *
     * @throws ErrnoException EINVAL when the socket is in no CBPF group or the kernel's checker refuses the program
     */
    public static void setFanoutProgram(int fd, ClassicBpf.Program program) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fprog = program.encode(arena);
            int r = (int) SETSOCKOPT.invokeExact(Native.errnoSlot(), fd, SOL_PACKET, PACKET_FANOUT_DATA, fprog,
                    (int) fprog.byteSize());
            if (r < 0) {
                throw new ErrnoException(Native.lastErrno(), "setsockopt",
                        "PACKET_FANOUT_DATA (" + program.size() + " cBPF instructions)");
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Puts interface {@code ifindex} into promiscuous mode for as long as socket {@code fd} is open (a membership,
     * so it is undone when the socket closes), for a stack whose MAC differs from the interface's.
     */
    public static void addPromiscuous(int fd, int ifindex) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mreq = arena.allocate(16, 4);
            mreq.set(ValueLayout.JAVA_INT, 0, ifindex);
            mreq.set(ValueLayout.JAVA_SHORT, 4, (short) PACKET_MR_PROMISC);
            setOpt(fd, PACKET_ADD_MEMBERSHIP, mreq, "PACKET_ADD_MEMBERSHIP promiscuous");
        }
    }

    /**
     * Asks the kernel to send every transmit slot marked {@link #TP_STATUS_SEND_REQUEST}, without waiting.
     *
     * @return bytes queued, or -1 when the device queue is full (EAGAIN, ENOBUFS): the slots stay requested
     * @throws ErrnoException on other failures (e.g. ENETDOWN)
     */
    public static long kick(int fd) {
        try {
            for (;;) {
                long n = (long) SENDTO.invokeExact(Native.errnoSlot(), fd, MemorySegment.NULL, 0L, MSG_DONTWAIT,
                        MemorySegment.NULL, 0);
                if (n >= 0) {
                    return n;
                }
                int errno = Native.lastErrno();
                if (errno == Errno.EAGAIN || errno == Errno.ENOBUFS) {
                    return -1;
                }
                if (errno != Errno.EINTR) {
                    throw new ErrnoException(errno, "sendto", "AF_PACKET tx ring kick on fd " + fd);
                }
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Reads and resets the socket's counters (PACKET_STATISTICS, {@code struct tpacket_stats_v3}).
     *
     * @return {packets received, packets dropped for lack of ring room, times the ring was frozen}
     */
    public static long[] statistics(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment st = arena.allocate(12, 4);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, 12);
            int r = (int) GETSOCKOPT.invokeExact(Native.errnoSlot(), fd, SOL_PACKET, PACKET_STATISTICS, st, len);
            Native.check(r, "getsockopt PACKET_STATISTICS");
            return new long[] {st.get(ValueLayout.JAVA_INT, 0) & 0xffffffffL, st.get(ValueLayout.JAVA_INT, 4) & 0xffffffffL,
                    st.get(ValueLayout.JAVA_INT, 8) & 0xffffffffL};
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** @return the index of interface {@code ifname} in the calling thread's namespace. */
    public static int interfaceIndex(String ifname) {
        byte[] name = ifname.getBytes(StandardCharsets.US_ASCII);
        if (name.length == 0 || name.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name must have 1 to 15 characters: '" + ifname + "'");
        }
        try (Arena arena = Arena.ofConfined()) {
            int idx = (int) IF_NAMETOINDEX.invokeExact(Native.errnoSlot(), arena.allocateFrom(ifname));
            if (idx == 0) {
                throw new ErrnoException(Native.lastErrno(), "if_nametoindex", ifname);
            }
            return idx;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** @return the MTU of interface {@code ifname}, asked through socket {@code fd} (SIOCGIFMTU). */
    public static int mtu(int fd, String ifname) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ifr = arena.allocate(40, 8);
            byte[] name = ifname.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(name, 0, ifr, ValueLayout.JAVA_BYTE, 0, Math.min(name.length, IFNAMSIZ - 1));
            int r = (int) IOCTL_PTR.invokeExact(Native.errnoSlot(), fd, SIOCGIFMTU, ifr);
            if (r < 0) {
                throw new ErrnoException(Native.lastErrno(), "ioctl", "SIOCGIFMTU " + ifname);
            }
            return ifr.get(ValueLayout.JAVA_INT, IFNAMSIZ);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Unmaps a ring from {@link #open}; it must not be touched afterwards. */
    public static void unmap(MemorySegment ring) {
        int r;
        try {
            r = (int) MUNMAP.invokeExact(Native.errnoSlot(), ring, ring.byteSize());
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        Native.check(r, "munmap");
    }

    private static MemorySegment map(int fd, long size) throws Throwable {
        MemorySegment address = (MemorySegment) MMAP.invokeExact(Native.errnoSlot(), MemorySegment.NULL, size,
                PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0L);
        if (address.address() == -1L) {
            throw new ErrnoException(Native.lastErrno(), "mmap", size + " bytes of AF_PACKET ring");
        }
        return address.reinterpret(size);
    }

    private static void setInt(Arena arena, int fd, int name, int value, String what) {
        MemorySegment v = arena.allocate(ValueLayout.JAVA_INT);
        v.set(ValueLayout.JAVA_INT, 0, value);
        setOpt(fd, name, v, what);
    }

    private static void setOpt(int fd, int name, MemorySegment value, String what) {
        int r;
        try {
            r = (int) SETSOCKOPT.invokeExact(Native.errnoSlot(), fd, SOL_PACKET, name, value, (int) value.byteSize());
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        if (r < 0) {
            throw new ErrnoException(Native.lastErrno(), "setsockopt", what);
        }
    }
}
