package io.percore.reactor;

/**
 * Readiness bits as every backend reports them (the values of poll(2) and epoll, which io_uring's POLL_ADD and
 * linux-aio's IOCB_CMD_POLL share).
 */
public final class Readiness {
    private Readiness() {}

    public static final int IN = 0x001;
    public static final int PRI = 0x002;
    public static final int OUT = 0x004;
    public static final int ERR = 0x008;
    public static final int HUP = 0x010;
    public static final int RDHUP = 0x2000;
}
