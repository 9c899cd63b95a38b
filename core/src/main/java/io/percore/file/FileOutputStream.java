package io.percore.file;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.memory.Buffer;
import java.lang.foreign.MemorySegment;

/**
 * Writes a {@link DmaFile} sequentially from an aligned offset, with write-behind: data is gathered into aligned
 * buffers of {@link FileStreamOptions#bufferSize()} bytes (any sizes and alignments may be written), each full
 * buffer is written while the producer goes on, and at most {@link FileStreamOptions#depth()} writes are in flight:
 * when they all are, {@link #write} returns a future that resolves only once one completes (back-pressure), so a
 * producer that waits for each write runs at the device's pace with bounded memory.
 *
 * <p>{@link #flush()} writes what is gathered (padded with zeros to the alignment, so the file reads zeros past the
 * data until more is written or the stream is closed) and makes everything durable (fdatasync). {@link #close()}
 * does the same, cuts the padding off (ftruncate to the exact length), and closes the file when the stream owns it.
 *
 * <p>The stream takes ownership of the buffers given to {@link #write} and releases them. One call at a time: wait
 * for each future before the next call. A failed background write fails the next call, and every one after it.
 *
 * <p>Shard-local: create and use it on the shard that owns the file.
 */
public final class FileOutputStream {
    private final DmaFile file;
    private final int bufferSize;
    private final int depth;
    private final IoClass ioClass;
    private final boolean closeFile;
    private final int writeAlign;
    /** File offset where {@link #staging} begins. */
    private long filePos;
    private Buffer staging;
    private int fill;
    private int inFlight;
    private Promise<Void> room;
    private Promise<Void> allDone;
    private Throwable failure;
    private boolean busy;
    private boolean closed;
    /** True when the file holds zero padding past the data, written by a flush. */
    private boolean padded;

    private FileOutputStream(DmaFile file, long offset, FileStreamOptions options) {
        DmaAlignment a = file.alignment();
        this.file = file;
        this.writeAlign = a.write();
        this.bufferSize = (int) DmaAlignment.alignUp(options.bufferSize(), a.preferredWrite());
        this.depth = options.depth();
        this.ioClass = options.ioClass() != null ? options.ioClass() : file.ioClass();
        this.closeFile = options.closeFile();
        this.filePos = offset;
    }

    /**
     * A stream writing {@code file} from {@code offset}. Shard thread.
     *
     * @param offset where the first byte goes: a multiple of the file's write alignment
     * @throws MisalignedIoException when {@code offset} is not aligned
     */
    public static FileOutputStream open(DmaFile file, long offset, FileStreamOptions options) {
        int align = file.alignment().write();
        if (offset < 0 || offset % align != 0) {
            throw new MisalignedIoException("an output stream over " + file.path() + " must start at a multiple of "
                    + align + " (the file's direct-I/O write alignment), not at " + offset, align);
        }
        return new FileOutputStream(file, offset, options);
    }

    /** A stream writing {@code file} from its start. Shard thread. */
    public static FileOutputStream open(DmaFile file, FileStreamOptions options) {
        return open(file, 0, options);
    }

    /**
     * Appends {@code data} (the stream takes it and releases it). Shard thread.
     *
     * @return resolves when the data is gathered and at most {@code depth} writes are in flight; fails with the
     *         error of an earlier background write, or {@link IllegalStateException} when another call is pending or
     *         the stream is closed
     */
    public Future<Void> write(Buffer data) {
        Throwable refused = refuse("write");
        if (refused != null) {
            data.release();
            return Future.failed(refused);
        }
        busy = true;
        return append(data, 0).finallyDo(() -> busy = false);
    }

    private Future<Void> append(Buffer data, int from) {
        MemorySegment src = data.segment();
        int offset = from;
        int length = data.length();
        while (offset < length) {
            if (failure != null) {
                data.release();
                return Future.failed(failure);
            }
            if (staging == null) {
                try {
                    staging = file.allocateBuffer(bufferSize);
                } catch (RuntimeException e) {
                    data.release();
                    return Future.failed(e);
                }
                fill = 0;
            }
            int n = Math.min(bufferSize - fill, length - offset);
            MemorySegment.copy(src, offset, staging.segment(), fill, n);
            fill += n;
            offset += n;
            if (fill == bufferSize) {
                Future<Void> slot = submitStaging();
                if (slot.isFailed()) {
                    data.release();
                    return slot;
                }
                if (!slot.isDone()) {
                    int resume = offset;
                    return slot.handle((v, error) -> error).flatMap(error -> {
                        if (error != null) {
                            data.release();
                            return Future.failed(error);
                        }
                        return append(data, resume);
                    });
                }
            }
        }
        data.release();
        return failure != null ? Future.failed(failure) : Future.done();
    }

    /** Writes the full staging buffer; returns when there is room for another write in flight. */
    private Future<Void> submitStaging() {
        Buffer full = staging;
        staging = null;
        long at = filePos;
        filePos += bufferSize;
        fill = 0;
        padded = false;
        startWrite(at, full);
        return roomForMore();
    }

    private void startWrite(long at, Buffer buf) {
        inFlight++;
        file.write(at, buf, ioClass).onComplete((n, error) -> {
            buf.release();
            inFlight--;
            if (error != null && failure == null) {
                failure = error;
            }
            if (room != null) {
                Promise<Void> r = room;
                room = null;
                if (failure != null) {
                    r.setException(failure);
                } else {
                    r.setValue(null);
                }
            }
            if (inFlight == 0 && allDone != null) {
                Promise<Void> d = allDone;
                allDone = null;
                d.setValue(null);
            }
        });
    }

    private Future<Void> roomForMore() {
        if (failure != null) {
            return Future.failed(failure);
        }
        if (inFlight < depth) {
            return Future.done();
        }
        room = new Promise<>();
        return room;
    }

    private Future<Void> drained() {
        if (inFlight == 0) {
            return Future.done();
        }
        allDone = new Promise<>();
        return allDone;
    }

    /**
     * Writes everything gathered so far (the last block padded with zeros), waits for every write, and makes the
     * data durable with fdatasync. Later writes continue right after the data, overwriting the padding. Shard
     * thread.
     *
     * @return fails with the first write error, or {@link IllegalStateException} when another call is pending
     */
    public Future<Void> flush() {
        Throwable refused = refuse("flush");
        if (refused != null) {
            return Future.failed(refused);
        }
        busy = true;
        return writeTail().then(file::flush).finallyDo(() -> busy = false);
    }

    /** Writes the partial staging buffer, padded, keeping it to go on filling; then waits for all writes. */
    private Future<Void> writeTail() {
        if (fill > 0 && failure == null) {
            int len = (int) DmaAlignment.alignUp(fill, writeAlign);
            MemorySegment s = staging.segment();
            if (len > fill) {
                s.asSlice(fill, len - fill).fill((byte) 0);
            }
            startWrite(filePos, staging.share(0, len));
            padded = len > fill;
        }
        return drained().then(() -> failure != null ? Future.failed(failure) : Future.done());
    }

    /**
     * Writes the rest, cuts the file at the exact end of the data when the last block was padded (so whatever the file
     * held beyond that point is gone too: the stream is for writing a file's tail), makes it durable
     * (fdatasync), releases the stream's memory, and closes the file when the stream owns it. The file is closed
     * even when a write failed; the future then fails with that error. A second call does nothing. Shard thread.
     */
    public Future<Void> close() {
        if (closed) {
            return Future.done();
        }
        if (busy) {
            return Future.failed(new IllegalStateException("close while a write or flush of " + file.path()
                    + " is pending; wait for it first"));
        }
        closed = true;
        long end = filePos + fill;
        Future<Void> done = writeTail()
                .then(() -> padded ? file.truncate(end) : Future.done())
                .then(file::flush)
                .finallyDo(() -> {
                    if (staging != null) {
                        staging.release();
                        staging = null;
                    }
                });
        if (!closeFile) {
            return done;
        }
        return done.handle((v, error) -> error).flatMap(error -> file.close()
                .then(() -> error == null ? Future.<Void>done() : Future.<Void>failed(error)));
    }

    private Throwable refuse(String op) {
        if (closed) {
            return new IllegalStateException("cannot " + op + ": the stream over " + file.path() + " is closed");
        }
        if (busy) {
            return new IllegalStateException("one call at a time: a write or flush of " + file.path()
                    + " is still pending");
        }
        return null;
    }

    /** @return the file offset just past the last byte written to the stream. Shard thread. */
    public long position() {
        return filePos + fill;
    }
}
