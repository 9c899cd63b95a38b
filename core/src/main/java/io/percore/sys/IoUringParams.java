package io.percore.sys;

/**
 * {@code struct io_uring_params}, the block io_uring_setup(2) reads the wanted ring sizes and flags from and
 * writes the granted sizes, the kernel's features and the offsets of every ring field into; plus the setup flags
 * and feature bits percore reads. Offsets are explicit byte positions (the struct is 120 bytes of u32s and two
 * nested offset blocks), the same on every 64-bit architecture.
 *
 * <p>Only constants: thread-safe.
 */
public final class IoUringParams {
    private IoUringParams() {}

    /** Size of the struct in bytes. */
    public static final int SIZE = 120;

    /** u32: SQ entries asked for, then granted (rounded up to a power of two). */
    public static final int SQ_ENTRIES = 0;
    /** u32: CQ entries, read with {@link #SETUP_CQSIZE}, always written back. */
    public static final int CQ_ENTRIES = 4;
    /** u32: {@code IORING_SETUP_*} flags. */
    public static final int FLAGS = 8;
    /** u32: the kernel's {@code IORING_FEAT_*} bits, written back. */
    public static final int FEATURES = 20;

    /** Start of {@code struct io_sqring_offsets sq_off}: offsets of the SQ ring's fields in its mapping. */
    public static final int SQ_OFF = 40;
    public static final int SQ_OFF_HEAD = SQ_OFF;
    public static final int SQ_OFF_TAIL = SQ_OFF + 4;
    public static final int SQ_OFF_RING_MASK = SQ_OFF + 8;
    public static final int SQ_OFF_RING_ENTRIES = SQ_OFF + 12;
    public static final int SQ_OFF_FLAGS = SQ_OFF + 16;
    public static final int SQ_OFF_DROPPED = SQ_OFF + 20;
    public static final int SQ_OFF_ARRAY = SQ_OFF + 24;

    /** Start of {@code struct io_cqring_offsets cq_off}: offsets of the CQ ring's fields in its mapping. */
    public static final int CQ_OFF = 80;
    public static final int CQ_OFF_HEAD = CQ_OFF;
    public static final int CQ_OFF_TAIL = CQ_OFF + 4;
    public static final int CQ_OFF_RING_MASK = CQ_OFF + 8;
    public static final int CQ_OFF_RING_ENTRIES = CQ_OFF + 12;
    public static final int CQ_OFF_OVERFLOW = CQ_OFF + 16;
    public static final int CQ_OFF_CQES = CQ_OFF + 20;

    /** The application chooses the CQ size (5.5). */
    public static final int SETUP_CQSIZE = 1 << 3;
    /** Sizes beyond the kernel's maximum are clamped instead of refused (5.6). */
    public static final int SETUP_CLAMP = 1 << 4;
    /** Keep submitting the rest of a batch when one SQE fails at submission (5.18). */
    public static final int SETUP_SUBMIT_ALL = 1 << 7;
    /** Completions need not interrupt the task: they run when it next enters the kernel (5.19). */
    public static final int SETUP_COOP_TASKRUN = 1 << 8;
    /** Set {@link IoUring#SQ_TASKRUN} in the SQ flags when completion work waits for an enter (5.19). */
    public static final int SETUP_TASKRUN_FLAG = 1 << 9;
    /** Only the creating thread submits: the kernel may skip locking (6.0). */
    public static final int SETUP_SINGLE_ISSUER = 1 << 12;
    /** Completion work runs only when the owner enters with GETEVENTS: batched, never interrupting (6.1). */
    public static final int SETUP_DEFER_TASKRUN = 1 << 13;

    /** SQ and CQ rings share one mapping (5.4). */
    public static final int FEAT_SINGLE_MMAP = 1;
    /** Completions are never dropped when the CQ ring is full; the kernel keeps them until there is room (5.5). */
    public static final int FEAT_NODROP = 1 << 1;
    /** The kernel has read everything an SQE points at once submission returns (5.5). */
    public static final int FEAT_SUBMIT_STABLE = 1 << 2;
    /** Sockets and pipes are polled inside the kernel instead of blocking a worker thread (5.7). */
    public static final int FEAT_FAST_POLL = 1 << 5;
    /** io_uring_enter takes a {@code struct io_uring_getevents_arg} with a timeout (5.11). */
    public static final int FEAT_EXT_ARG = 1 << 8;
    /** Resource tags; arrived in 5.13 together with multishot POLL_ADD, which no feature bit announces. */
    public static final int FEAT_RSRC_TAGS = 1 << 10;

    /** @return the names of the {@code FEAT_*} bits set in {@code features}, for logs and reports. */
    public static String featureNames(int features) {
        String[] names = {"SINGLE_MMAP", "NODROP", "SUBMIT_STABLE", "RW_CUR_POS", "CUR_PERSONALITY", "FAST_POLL",
                "POLL_32BITS", "SQPOLL_NONFIXED", "EXT_ARG", "NATIVE_WORKERS", "RSRC_TAGS", "CQE_SKIP",
                "LINKED_FILE", "REG_REG_RING", "RECVSEND_BUNDLE", "MIN_TIMEOUT", "RW_ATTR", "NO_IOWAIT"};
        StringBuilder sb = new StringBuilder();
        for (int bit = 0; bit < 32; bit++) {
            if ((features & (1 << bit)) != 0) {
                if (!sb.isEmpty()) {
                    sb.append(' ');
                }
                sb.append(bit < names.length ? names[bit] : "FEAT_" + bit);
            }
        }
        return sb.toString();
    }

    /** @return the names of the {@code SETUP_*} bits set in {@code flags} that percore uses. */
    public static String setupFlagNames(int flags) {
        StringBuilder sb = new StringBuilder();
        appendIf(sb, flags, SETUP_CQSIZE, "CQSIZE");
        appendIf(sb, flags, SETUP_CLAMP, "CLAMP");
        appendIf(sb, flags, SETUP_SUBMIT_ALL, "SUBMIT_ALL");
        appendIf(sb, flags, SETUP_COOP_TASKRUN, "COOP_TASKRUN");
        appendIf(sb, flags, SETUP_TASKRUN_FLAG, "TASKRUN_FLAG");
        appendIf(sb, flags, SETUP_SINGLE_ISSUER, "SINGLE_ISSUER");
        appendIf(sb, flags, SETUP_DEFER_TASKRUN, "DEFER_TASKRUN");
        return sb.toString();
    }

    private static void appendIf(StringBuilder sb, int flags, int bit, String name) {
        if ((flags & bit) != 0) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            sb.append(name);
        }
    }
}
