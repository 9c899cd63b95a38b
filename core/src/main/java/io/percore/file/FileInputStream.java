package io.percore.file;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.memory.Buffer;
import java.util.ArrayDeque;

/**
 * Reads a byte range of a {@link DmaFile} in order, with read-ahead: up to {@link FileStreamOptions#depth()}
 * aligned reads of {@link FileStreamOptions#bufferSize()} bytes are in flight or waiting ahead of the consumer,
 * and a new one is issued only when the consumer takes one, so a slow consumer holds the stream at {@code depth}
 * buffers (back-pressure) and a fast one finds data already there. What the static-file handler of an HTTP server
 * streams from.
 *
 * <p>{@link #read()} hands out the next bytes as a buffer the caller owns and releases (zero copy: the buffer the
 * device wrote into, trimmed to the range); an empty buffer means the end of the range or of the file. One read
 * may be pending at a time. After a failed read every later read fails the same way.
 *
 * <p>Shard-local: create and use it on the shard that owns the file.
 */
public final class FileInputStream {
    private final DmaFile file;
    private final int bufferSize;
    private final int depth;
    private final IoClass ioClass;
    private final boolean closeFile;
    private final long end;
    private final ArrayDeque<Future<Buffer>> ahead = new ArrayDeque<>();
    private long nextRead;
    private long position;
    private int dropFirst;
    private boolean endSeen;
    private boolean reading;
    private boolean closed;
    private Throwable failure;
    private int inFlight;
    private Promise<Void> idle;

    private FileInputStream(DmaFile file, long offset, long length, FileStreamOptions options) {
        int align = file.alignment().read();
        this.file = file;
        this.bufferSize = (int) DmaAlignment.alignUp(options.bufferSize(), align);
        this.depth = options.depth();
        this.ioClass = options.ioClass() != null ? options.ioClass() : file.ioClass();
        this.closeFile = options.closeFile();
        this.end = length == Long.MAX_VALUE || offset + length < 0 ? Long.MAX_VALUE : offset + length;
        this.nextRead = DmaAlignment.alignDown(offset, align);
        this.dropFirst = (int) (offset - nextRead);
        this.position = offset;
        this.endSeen = offset >= end;
    }

    /**
     * A stream over {@code length} bytes of {@code file} from {@code offset} (any alignment); reads stop early at
     * the end of the file. The first reads are issued at once. Shard thread.
     *
     * @param length how many bytes at most; {@link Long#MAX_VALUE} for up to the end of the file
     * @throws IllegalArgumentException for a negative offset or length
     */
    public static FileInputStream open(DmaFile file, long offset, long length, FileStreamOptions options) {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("offset and length must not be negative: " + offset + ", " + length);
        }
        FileInputStream s = new FileInputStream(file, offset, length, options);
        s.fill();
        return s;
    }

    /** A stream over the whole file. Shard thread. */
    public static FileInputStream open(DmaFile file, FileStreamOptions options) {
        return open(file, 0, Long.MAX_VALUE, options);
    }

    /**
     * @return the next bytes of the range, which the caller owns and releases; an empty buffer at the end. Fails
     *         with the read's error, or {@link IllegalStateException} when another read is pending or the stream is
     *         closed. Shard thread.
     */
    public Future<Buffer> read() {
        if (closed) {
            return Future.failed(new IllegalStateException("the stream over " + file.path() + " is closed"));
        }
        if (failure != null) {
            return Future.failed(failure);
        }
        if (reading) {
            return Future.failed(new IllegalStateException("one read at a time: the previous read of "
                    + file.path() + " is still pending"));
        }
        fill();
        Future<Buffer> head = ahead.poll();
        if (head == null) {
            return Future.ready(Buffer.empty());
        }
        reading = true;
        Promise<Buffer> result = new Promise<>();
        head.onComplete((buf, error) -> {
            reading = false;
            if (error != null) {
                failure = error;
                discardAhead();
                result.setException(error);
                return;
            }
            if (closed) {
                buf.release();
                result.setException(new IllegalStateException("the stream over " + file.path() + " is closed"));
                return;
            }
            if (buf.length() < bufferSize) {
                endSeen = true; // a short read: the file ends here
            }
            if (dropFirst > 0) {
                buf.trimFront(Math.min(dropFirst, buf.length()));
                dropFirst = 0;
            }
            long left = end - position;
            if (buf.length() >= left) {
                buf.trim((int) left);
                endSeen = true;
            }
            position += buf.length();
            if (endSeen) {
                discardAhead();
            } else {
                fill();
            }
            result.setValue(buf);
        });
        return result;
    }

    /** Issues reads until {@code depth} are ahead of the consumer, unless the end was seen. */
    private void fill() {
        while (!endSeen && !closed && failure == null && ahead.size() < depth && nextRead < end) {
            ahead.add(readOne(nextRead));
            nextRead += bufferSize;
        }
    }

    private Future<Buffer> readOne(long at) {
        Buffer buf;
        try {
            buf = file.allocateBuffer(bufferSize);
        } catch (RuntimeException e) {
            return Future.failed(e);
        }
        inFlight++;
        Promise<Buffer> p = new Promise<>();
        file.read(at, buf, ioClass).onComplete((n, error) -> {
            if (--inFlight == 0 && idle != null) {
                idle.setValue(null);
                idle = null;
            }
            if (error != null) {
                buf.release();
                p.setException(error);
            } else {
                buf.trim(n);
                p.setValue(buf);
            }
        });
        return p;
    }

    /** Drops the reads issued ahead: their buffers are released as they arrive, their failures ignored. */
    private void discardAhead() {
        for (Future<Buffer> f; (f = ahead.poll()) != null; ) {
            f.onComplete((b, e) -> {
                if (b != null) {
                    b.release();
                }
            });
        }
    }

    /**
     * Stops reading: reads issued ahead are waited for and their buffers released, then the file is closed if the
     * stream owns it ({@link FileStreamOptions#closeFile()}). A pending {@link #read()} fails. Shard thread.
     */
    public Future<Void> close() {
        if (closed) {
            return Future.done();
        }
        closed = true;
        discardAhead();
        Future<Void> drained;
        if (inFlight == 0) {
            drained = Future.done();
        } else {
            idle = new Promise<>();
            drained = idle;
        }
        return closeFile ? drained.then(file::close) : drained;
    }

    /** @return the file offset of the next byte {@link #read()} returns. Shard thread. */
    public long position() {
        return position;
    }
}
