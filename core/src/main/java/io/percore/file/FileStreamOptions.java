package io.percore.file;

/**
 * How a {@link FileInputStream} or {@link FileOutputStream} moves data.
 *
 * @param bufferSize bytes per read or write, rounded up to the file's alignment (default 128 KiB)
 * @param depth      reads issued ahead of the consumer, or writes in flight behind the producer (default 4); the
 *                   stream never holds more than {@code depth} buffers besides the one it fills or hands out, which
 *                   is its back-pressure
 * @param ioClass    the class of the stream's requests, or null for the file's own class
 * @param closeFile  whether closing the stream closes the file (default true: the stream owns the file)
 */
public record FileStreamOptions(int bufferSize, int depth, IoClass ioClass, boolean closeFile) {
    /** @throws IllegalArgumentException for a non-positive size or depth */
    public FileStreamOptions {
        if (bufferSize < 1) {
            throw new IllegalArgumentException("buffer size must be positive, got " + bufferSize);
        }
        if (depth < 1) {
            throw new IllegalArgumentException("depth must be at least 1, got " + depth);
        }
    }

    /** @return 128 KiB buffers, depth 4, the file's class, the stream owns the file. */
    public static FileStreamOptions defaults() {
        return new FileStreamOptions(128 << 10, 4, null, true);
    }

    /** @return a copy with another buffer size. */
    public FileStreamOptions withBufferSize(int bytes) {
        return new FileStreamOptions(bytes, depth, ioClass, closeFile);
    }

    /** @return a copy with another read-ahead or write-behind depth. */
    public FileStreamOptions withDepth(int n) {
        return new FileStreamOptions(bufferSize, n, ioClass, closeFile);
    }

    /** @return a copy whose requests use {@code c}. */
    public FileStreamOptions withIoClass(IoClass c) {
        return new FileStreamOptions(bufferSize, depth, c, closeFile);
    }

    /** @return a copy that closes the file with the stream, or leaves it open. */
    public FileStreamOptions withCloseFile(boolean close) {
        return new FileStreamOptions(bufferSize, depth, ioClass, close);
    }
}
