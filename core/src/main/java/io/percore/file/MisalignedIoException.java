package io.percore.file;

/**
 * A direct-I/O read or write whose position, length or buffer address does not meet the alignment the file
 * requires: found before the request reaches the kernel, which would only say EINVAL. The message names the
 * file, the request, what is misaligned, and the alignment required (and where that figure came from).
 */
public final class MisalignedIoException extends IllegalArgumentException {
    private final long requiredAlignment;

    /**
     * @param message           the full explanation
     * @param requiredAlignment the alignment the misaligned value must meet, in bytes
     */
    public MisalignedIoException(String message, long requiredAlignment) {
        super(message);
        this.requiredAlignment = requiredAlignment;
    }

    /** @return the alignment in bytes that the misaligned position, length or address must be a multiple of. */
    public long requiredAlignment() {
        return requiredAlignment;
    }
}
