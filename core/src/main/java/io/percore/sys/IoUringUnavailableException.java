package io.percore.sys;

/**
 * This process cannot use io_uring: the kernel lacks it (ENOSYS), forbids it (EPERM from the
 * {@code kernel.io_uring_disabled} sysctl or a seccomp filter, as container runtimes install), cannot lock its
 * memory (ENOMEM on kernels before 5.12), or is older than the features percore needs. Callers catch it to fall
 * back to another reactor backend; the message says which condition it was.
 */
public final class IoUringUnavailableException extends UnsupportedOperationException {
    private final int errno;

    /**
     * @param errno  the errno io_uring_setup(2) left, or 0 when the ring was created but lacks a feature
     * @param reason what is missing, in words
     */
    public IoUringUnavailableException(int errno, String reason) {
        super("io_uring is not usable here: " + reason
                + (errno == 0 ? "" : " (" + Errno.name(errno) + ": " + ErrnoException.strerror(errno) + ")")
                + "; use --reactor-backend epoll");
        this.errno = errno;
    }

    /** @return the errno from io_uring_setup(2), or 0 when the ring was made but is missing a feature. */
    public int errno() {
        return errno;
    }
}
