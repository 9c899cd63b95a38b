package io.percore.file;

import io.percore.core.Promise;
import java.lang.foreign.MemorySegment;

/**
 * One read or write waiting in, or dispatched by, an {@link IoQueue}; its promise resolves with the bytes
 * transferred. A request that was split is a piece of a {@link Split} and reports there instead; a request merged
 * into the one before it rides on that one's system call ({@link #merged}). Shard thread only.
 */
final class IoRequest extends Promise<Integer> {
    static final int READ = 0, WRITE = 1;

    final IoQueue.ClassQueue queue;
    final int kind;
    final int fd;
    final long position;
    final MemorySegment segment;
    final int length;
    /** The request this is a piece of, or null. */
    final Split split;
    final int part;
    /** The next request carried by the same system call, or null. */
    IoRequest merged;

    IoRequest(IoQueue.ClassQueue queue, int kind, int fd, long position, MemorySegment segment, Split split, int part) {
        this.queue = queue;
        this.kind = kind;
        this.fd = fd;
        this.position = position;
        this.segment = segment;
        this.length = (int) segment.byteSize();
        this.split = split;
        this.part = part;
    }

    /** Resolves this request, or its piece of a split. */
    void finish(int transferred, Throwable error) {
        if (split != null) {
            split.pieceDone(part, transferred, error);
        } else if (error != null) {
            setException(error);
        } else {
            setValue(transferred);
        }
    }

    /**
     * A request split into pieces of at most the device's request size: resolves, once every piece is done, with
     * the bytes of the unbroken run of complete pieces from the start (a short read at end of file ends the run),
     * or with the first failure.
     */
    static final class Split extends Promise<Integer> {
        private final int[] done;
        private final int[] lengths;
        private Throwable[] failures;
        private int remaining;

        Split(int[] lengths) {
            this.lengths = lengths;
            this.done = new int[lengths.length];
            this.remaining = lengths.length;
        }

        void pieceDone(int part, int transferred, Throwable failure) {
            done[part] = transferred;
            if (failure != null) {
                if (failures == null) {
                    failures = new Throwable[lengths.length];
                }
                failures[part] = failure;
            }
            if (--remaining > 0) {
                return;
            }
            int total = 0;
            for (int i = 0; i < lengths.length; i++) {
                if (failures != null && failures[i] != null) {
                    setException(failures[i]);
                    return;
                }
                total += done[i];
                if (done[i] < lengths[i]) {
                    break; // a short piece ends the data: what follows (past the end of file) does not count
                }
            }
            setValue(total);
        }
    }
}
