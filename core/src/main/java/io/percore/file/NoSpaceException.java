package io.percore.file;

import java.nio.file.FileSystemException;

/**
 * A write, allocation or creation failed because the device (or the user's quota) is full: ENOSPC or EDQUOT.
 * A {@link FileSystemException}, so code that handles file errors generally sees it too.
 */
public final class NoSpaceException extends FileSystemException {
    /**
     * @param file   the file being written
     * @param reason what failed and the kernel's words, e.g. "pwrite: ENOSPC: No space left on device"
     */
    public NoSpaceException(String file, String reason) {
        super(file, null, reason);
    }
}
