package io.percore.sys;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * {@code struct io_uring_sqe}: the 64-byte submission entry, as explicit byte offsets, and writers that fill one
 * entry for each operation percore submits. Several fields are unions whose meaning depends on the opcode; the
 * writers name the meaning they use.
 *
 * <p>Every writer expects an entry that {@link IoUring#nextSqe()} has just zeroed, so it writes only the fields
 * its operation needs. Pointers are written as the segments' addresses: the caller keeps the memory valid until
 * the operation's completion arrives (for TIMEOUT, only until submission; the kernel copies the timespec then).
 *
 * <p>Thread rules: the ring's owner thread, between {@link IoUring#nextSqe()} and the next submission.
 */
public final class IoUringSqe {
    private IoUringSqe() {}

    /** Size of one entry in bytes. */
    public static final int SIZE = 64;

    /** u8 opcode ({@link IoUringOpcode}). */
    public static final int OPCODE = 0;
    /** u8 {@code IOSQE_*} flags (link, drain, async, buffer select). */
    public static final int FLAGS = 1;
    /** u16 ioprio; for ACCEPT and RECV it carries the multishot flags. */
    public static final int IOPRIO = 2;
    /** s32 fd. */
    public static final int FD = 4;
    /** u64 union: file offset; addr2 (CONNECT's address length, ACCEPT's address-length pointer). */
    public static final int OFF = 8;
    /** u64 union: buffer or struct address; ASYNC_CANCEL's and TIMEOUT_REMOVE's target user_data. */
    public static final int ADDR = 16;
    /** u32 length; POLL_ADD's poll flags; TIMEOUT's completion count. */
    public static final int LEN = 24;
    /** u32 union of the per-opcode flags: rw, fsync, poll32 events, msg, timeout, accept, cancel flags. */
    public static final int OP_FLAGS = 28;
    /** u64 user_data, returned unchanged in the completion. */
    public static final int USER_DATA = 32;
    /** u16 buf_index / buf_group. */
    public static final int BUF_INDEX = 40;
    /** u16 personality. */
    public static final int PERSONALITY = 42;
    /** s32 union: splice_fd_in, file_index, optlen. */
    public static final int FILE_INDEX = 44;
    /** u64 addr3. */
    public static final int ADDR3 = 48;

    /** FSYNC: sync data only ({@code fdatasync}). */
    public static final int FSYNC_DATASYNC = 1;
    /** POLL_ADD (in LEN): keep polling and post a completion per event, with {@link IoUring#CQE_F_MORE} (5.13). */
    public static final int POLL_ADD_MULTI = 1;
    /** ACCEPT (in IOPRIO): keep accepting, one completion per connection (5.19). */
    public static final int ACCEPT_MULTISHOT = 1;
    /** RECV (in IOPRIO): keep receiving, one completion per buffer filled (6.0); needs {@link #IOSQE_BUFFER_SELECT}. */
    public static final int RECV_MULTISHOT = 1 << 1;
    /** Entry flag (in FLAGS): the kernel picks the buffer from the provided-buffer group in BUF_INDEX (5.7). */
    public static final int IOSQE_BUFFER_SELECT = 1 << 5;

    private static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG;

    /** Writes the fields every read/write-shaped operation shares. */
    public static void prepare(MemorySegment sqes, long sqe, int opcode, int fd, long addr, int len, long off,
                               long userData) {
        sqes.set(U8, sqe + OPCODE, (byte) opcode);
        sqes.set(U32, sqe + FD, fd);
        sqes.set(U64, sqe + OFF, off);
        sqes.set(U64, sqe + ADDR, addr);
        sqes.set(U32, sqe + LEN, len);
        sqes.set(U64, sqe + USER_DATA, userData);
    }

    /** Sets the per-opcode flags word (msg_flags, fsync_flags, poll events, accept flags…). */
    public static void opFlags(MemorySegment sqes, long sqe, int flags) {
        sqes.set(U32, sqe + OP_FLAGS, flags);
    }

    /** Sets ioprio, which ACCEPT and RECV read as their multishot flags. */
    public static void ioprio(MemorySegment sqes, long sqe, int value) {
        sqes.set(U16, sqe + IOPRIO, (short) value);
    }

    /** NOP: completes with 0. */
    public static void nop(MemorySegment sqes, long sqe, long userData) {
        prepare(sqes, sqe, IoUringOpcode.NOP, -1, 0, 0, 0, userData);
    }

    /**
     * POLL_ADD: completes with the ready poll bits of {@code fd} among {@code events} (ERR and HUP always).
     *
     * @param multishot keep the poll armed and post every event ({@link #POLL_ADD_MULTI})
     */
    public static void pollAdd(MemorySegment sqes, long sqe, int fd, int events, boolean multishot, long userData) {
        prepare(sqes, sqe, IoUringOpcode.POLL_ADD, fd, 0, multishot ? POLL_ADD_MULTI : 0, 0, userData);
        // poll32_events; on little-endian hosts its low half is also the old 16-bit poll_events field.
        opFlags(sqes, sqe, events);
    }

    /** ASYNC_CANCEL of the request whose user_data is {@code target}: 0, -ENOENT or -EALREADY. */
    public static void cancel(MemorySegment sqes, long sqe, long target, long userData) {
        prepare(sqes, sqe, IoUringOpcode.ASYNC_CANCEL, -1, target, 0, 0, userData);
    }

    /** READ (pread): {@code len} bytes at {@code position} into {@code buf}. */
    public static void read(MemorySegment sqes, long sqe, int fd, long buf, int len, long position, long userData) {
        prepare(sqes, sqe, IoUringOpcode.READ, fd, buf, len, position, userData);
    }

    /** WRITE (pwrite): {@code len} bytes from {@code buf} at {@code position}. */
    public static void write(MemorySegment sqes, long sqe, int fd, long buf, int len, long position, long userData) {
        prepare(sqes, sqe, IoUringOpcode.WRITE, fd, buf, len, position, userData);
    }

    /** FSYNC, or fdatasync when {@code dataOnly}. */
    public static void fsync(MemorySegment sqes, long sqe, int fd, boolean dataOnly, long userData) {
        prepare(sqes, sqe, IoUringOpcode.FSYNC, fd, 0, 0, 0, userData);
        opFlags(sqes, sqe, dataOnly ? FSYNC_DATASYNC : 0);
    }

    /** RECV into {@code buf} with recv(2) {@code msgFlags}. */
    public static void recv(MemorySegment sqes, long sqe, int fd, long buf, int len, int msgFlags, long userData) {
        prepare(sqes, sqe, IoUringOpcode.RECV, fd, buf, len, 0, userData);
        opFlags(sqes, sqe, msgFlags);
    }

    /**
     * RECV, multishot, into buffers the kernel picks from provided-buffer group {@code bufferGroup}: one
     * completion per buffer filled, with {@link IoUring#CQE_F_BUFFER} and the buffer id in the upper 16 bits of
     * the flags, and {@link IoUring#CQE_F_MORE} while the request stays armed. An empty group ends it with
     * -ENOBUFS.
     */
    public static void recvMultishot(MemorySegment sqes, long sqe, int fd, int bufferGroup, long userData) {
        prepare(sqes, sqe, IoUringOpcode.RECV, fd, 0, 0, 0, userData);
        sqes.set(U8, sqe + FLAGS, (byte) IOSQE_BUFFER_SELECT);
        ioprio(sqes, sqe, RECV_MULTISHOT);
        sqes.set(U16, sqe + BUF_INDEX, (short) bufferGroup);
    }

    /**
     * SEND_ZC (6.0): sends from {@code buf} without copying it into the socket. Two completions arrive: the
     * result (bytes sent, with {@link IoUring#CQE_F_MORE}) and later a notification
     * ({@link IoUring#CQE_F_NOTIF}) once the kernel no longer reads {@code buf}; only then may it be reused.
     */
    public static void sendZeroCopy(MemorySegment sqes, long sqe, int fd, long buf, int len, int msgFlags,
                                    long userData) {
        prepare(sqes, sqe, IoUringOpcode.SEND_ZC, fd, buf, len, 0, userData);
        opFlags(sqes, sqe, msgFlags);
    }

    /** SEND from {@code buf} with send(2) {@code msgFlags}. */
    public static void send(MemorySegment sqes, long sqe, int fd, long buf, int len, int msgFlags, long userData) {
        prepare(sqes, sqe, IoUringOpcode.SEND, fd, buf, len, 0, userData);
        opFlags(sqes, sqe, msgFlags);
    }

    /** SENDMSG with a {@code struct msghdr} at {@code msghdr}. */
    public static void sendmsg(MemorySegment sqes, long sqe, int fd, long msghdr, int msgFlags, long userData) {
        prepare(sqes, sqe, IoUringOpcode.SENDMSG, fd, msghdr, 1, 0, userData);
        opFlags(sqes, sqe, msgFlags);
    }

    /** RECVMSG into the buffers a {@code struct msghdr} at {@code msghdr} describes. */
    public static void recvmsg(MemorySegment sqes, long sqe, int fd, long msghdr, int msgFlags, long userData) {
        prepare(sqes, sqe, IoUringOpcode.RECVMSG, fd, msghdr, 1, 0, userData);
        opFlags(sqes, sqe, msgFlags);
    }

    /**
     * ACCEPT (accept4): completes with the new descriptor.
     *
     * @param addr      a sockaddr buffer for the peer's address, or 0
     * @param addrLen   a socklen_t holding the buffer's size (the kernel writes the address's), or 0
     * @param flags     accept4 flags (SOCK_NONBLOCK, SOCK_CLOEXEC)
     * @param multishot keep accepting ({@link #ACCEPT_MULTISHOT}); then {@code addr} must be 0
     */
    public static void accept(MemorySegment sqes, long sqe, int fd, long addr, long addrLen, int flags,
                              boolean multishot, long userData) {
        prepare(sqes, sqe, IoUringOpcode.ACCEPT, fd, addr, 0, addrLen, userData);
        opFlags(sqes, sqe, flags);
        if (multishot) {
            ioprio(sqes, sqe, ACCEPT_MULTISHOT);
        }
    }

    /** CONNECT to the {@code addrLen}-byte sockaddr at {@code addr}: completes with 0 once connected. */
    public static void connect(MemorySegment sqes, long sqe, int fd, long addr, int addrLen, long userData) {
        // CONNECT reads the address length from the 64-bit off/addr2 field, not from len.
        prepare(sqes, sqe, IoUringOpcode.CONNECT, fd, addr, 0, addrLen, userData);
    }

    /**
     * TIMEOUT: a pure timer (completion count 0) that completes with -ETIME after the relative timespec at
     * {@code timespec}, which the kernel copies at submission.
     */
    public static void timeout(MemorySegment sqes, long sqe, long timespec, long userData) {
        prepare(sqes, sqe, IoUringOpcode.TIMEOUT, -1, timespec, 1, 0, userData);
    }

    /** TIMEOUT_REMOVE of the TIMEOUT whose user_data is {@code target}. */
    public static void timeoutRemove(MemorySegment sqes, long sqe, long target, long userData) {
        prepare(sqes, sqe, IoUringOpcode.TIMEOUT_REMOVE, -1, target, 0, 0, userData);
    }
}
