package io.percore.sys;

/**
 * The io_uring opcodes ({@code enum io_uring_op}) percore submits, and the names of all of them for probe
 * reports. The values are kernel ABI: each new kernel appends, none is ever renumbered.
 *
 * <p>Only constants: thread-safe.
 */
public final class IoUringOpcode {
    private IoUringOpcode() {}

    public static final int NOP = 0;
    public static final int FSYNC = 3;
    public static final int POLL_ADD = 6;
    public static final int POLL_REMOVE = 7;
    public static final int SENDMSG = 9;
    public static final int RECVMSG = 10;
    public static final int TIMEOUT = 11;
    public static final int TIMEOUT_REMOVE = 12;
    public static final int ACCEPT = 13;
    public static final int ASYNC_CANCEL = 14;
    public static final int CONNECT = 16;
    public static final int READ = 22;
    public static final int WRITE = 23;
    public static final int SEND = 26;
    public static final int RECV = 27;
    public static final int PROVIDE_BUFFERS = 31;
    /** Added in 5.19 with multishot accept; its presence in a probe stands in for that kernel version. */
    public static final int SOCKET = 45;
    /** Added in 6.0 with multishot RECV; its presence stands in for that kernel version too. */
    public static final int SEND_ZC = 47;

    private static final String[] NAMES = {
        "NOP", "READV", "WRITEV", "FSYNC", "READ_FIXED", "WRITE_FIXED", "POLL_ADD", "POLL_REMOVE",
        "SYNC_FILE_RANGE", "SENDMSG", "RECVMSG", "TIMEOUT", "TIMEOUT_REMOVE", "ACCEPT", "ASYNC_CANCEL",
        "LINK_TIMEOUT", "CONNECT", "FALLOCATE", "OPENAT", "CLOSE", "FILES_UPDATE", "STATX", "READ", "WRITE",
        "FADVISE", "MADVISE", "SEND", "RECV", "OPENAT2", "EPOLL_CTL", "SPLICE", "PROVIDE_BUFFERS",
        "REMOVE_BUFFERS", "TEE", "SHUTDOWN", "RENAMEAT", "UNLINKAT", "MKDIRAT", "SYMLINKAT", "LINKAT", "MSG_RING",
        "FSETXATTR", "SETXATTR", "FGETXATTR", "GETXATTR", "SOCKET", "URING_CMD", "SEND_ZC", "SENDMSG_ZC",
        "READ_MULTISHOT", "WAITID", "FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_WAITV", "FIXED_FD_INSTALL", "FTRUNCATE",
        "BIND", "LISTEN", "RECV_ZC", "EPOLL_WAIT", "READV_FIXED", "WRITEV_FIXED", "PIPE",
    };

    /** @return the opcode's name ("RECV"), or "OP_" and its number for opcodes newer than this table. */
    public static String name(int opcode) {
        return opcode >= 0 && opcode < NAMES.length ? NAMES[opcode] : "OP_" + opcode;
    }
}
