package io.percore.apps.iotester;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.core.Promise;
import io.percore.file.DmaAlignment;
import io.percore.file.DmaFile;
import io.percore.file.Files;
import io.percore.file.IoClass;
import io.percore.file.OpenOptions;
import io.percore.memory.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;

/**
 * One job on one shard: its file, its {@code parallelism} request loops, and what they measured. Requests are timed
 * from submission to completion (queueing in the scheduler included, as an application sees it) into an
 * HdrHistogram with three significant digits. Only completions inside the measurement window count. Shard-local.
 */
final class ShardJob {
    private static final long MAX_LATENCY_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final int FILL_CHUNK = 1 << 20;

    private final JobSpec spec;
    private final IoClass ioClass;
    private final int shard;
    private final String path;
    private final boolean ownsFile;
    private final SplittableRandom random;
    private final Histogram latency = new Histogram(MAX_LATENCY_NANOS, 3);
    private final List<Buffer> buffers = new ArrayList<>();
    private DmaFile file;
    private long span;
    private long cursor;
    private long ops;
    private long bytes;

    ShardJob(JobSpec spec, IoClass ioClass, int shard, String storage) {
        this.spec = spec;
        this.ioClass = ioClass;
        this.shard = shard;
        this.ownsFile = spec.file() == null;
        this.path = ownsFile ? storage + "/io_tester-" + spec.name() + "-shard" + shard + ".dat" : spec.file();
        this.random = new SplittableRandom(0x5eed + 31L * shard + spec.name().hashCode());
    }

    /** Opens the job's file, lays it out (written with data up to the file size) unless it is already. */
    Future<Void> prepare() {
        OpenOptions options = OpenOptions.readWrite().withCreate().withIoClass(ioClass);
        return Files.openDma(path, options).flatMap(f -> {
            file = f;
            span = DmaAlignment.alignDown(spec.fileSize(), spec.reqSize());
            return layOut(f, span);
        });
    }

    /**
     * Writes {@code file} from its current (aligned) end up to {@code size} in 1 MiB pieces, four at a time, so reads
     * find data on the device and writes overwrite allocated blocks, as fio lays out its files. Shard thread.
     */
    static Future<Void> layOut(DmaFile f, long size) {
        return f.size().flatMap(current -> {
            long from = DmaAlignment.alignDown(Math.min(current, size), f.alignment().write());
            if (from >= size) {
                return Future.done();
            }
            Buffer chunk = f.allocateBuffer(FILL_CHUNK);
            chunk.segment().fill((byte) 0xa5); // any data but zeros, which some virtual disks store specially
            long[] next = {from};
            List<Future<Void>> writers = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                writers.add(Futures.repeat(() -> {
                    long pos = next[0];
                    if (pos >= size) {
                        return Future.ready(Boolean.TRUE);
                    }
                    int len = (int) DmaAlignment.alignUp(Math.min(FILL_CHUNK, size - pos), f.alignment().write());
                    next[0] += len;
                    Buffer piece = chunk.share(0, len);
                    return f.write(pos, piece).finallyDo(piece::release).map(n -> Boolean.FALSE);
                }));
            }
            return Futures.whenAll(writers).finallyDo(chunk::release).discardResult();
        });
    }

    /**
     * Runs the loops until {@code endNanos} or until {@code stop} says so, counting completions between
     * {@code measureFromNanos} and {@code endNanos}. Shard thread.
     */
    Future<Void> run(long measureFromNanos, long endNanos, BooleanSupplier stop) {
        List<Future<Void>> loops = new ArrayList<>();
        for (int i = 0; i < spec.parallelism(); i++) {
            Buffer buf = file.allocateBuffer(spec.reqSize());
            if (!spec.type().isRead()) {
                SplittableRandom r = new SplittableRandom(i);
                for (int k = 0; k < spec.reqSize(); k += 8) {
                    buf.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, k, r.nextLong());
                }
            }
            buffers.add(buf);
            loops.add(Futures.repeat(() -> {
                long start = System.nanoTime();
                if (start - endNanos >= 0 || stop.getAsBoolean()) {
                    return Future.ready(Boolean.TRUE);
                }
                long pos = nextPosition();
                Future<Integer> io = spec.type().isRead() ? file.read(pos, buf, ioClass) : file.write(pos, buf, ioClass);
                return io.map(n -> {
                    long done = System.nanoTime();
                    if (done - measureFromNanos >= 0 && done - endNanos < 0) {
                        ops++;
                        bytes += n;
                        latency.recordValue(Math.min(done - start, MAX_LATENCY_NANOS));
                    }
                    return Boolean.FALSE;
                });
            }));
        }
        Promise<Void> all = new Promise<>();
        Futures.whenAll(loops).onComplete((v, e) -> {
            if (e != null) {
                all.setException(e);
            } else {
                all.setValue(null);
            }
        });
        return all;
    }

    private long nextPosition() {
        int req = spec.reqSize();
        if (spec.type().isSequential()) {
            long pos = cursor;
            cursor += req;
            if (cursor + req > span) {
                cursor = 0;
            }
            return pos;
        }
        return random.nextLong(span / req) * req;
    }

    /** Releases the buffers and closes the file; deletes a per-shard file unless asked to keep it. */
    Future<Void> finish(boolean keepFiles) {
        buffers.forEach(Buffer::release);
        buffers.clear();
        Future<Void> closed = file == null ? Future.done() : file.close();
        if (!ownsFile || keepFiles) {
            return closed;
        }
        return closed.then(() -> Files.remove(path));
    }

    /**
     * @return the job's figures on this shard over {@code seconds} of measurement, with the shard thread's CPU
     *         time in the window ({@code shardCpuNanos}, shared by every job of the shard)
     */
    ShardResult result(double seconds, String engine, long shardCpuNanos) {
        return new ShardResult(spec, shard, ops, bytes, seconds, latency, engine,
                file == null ? "" : file.alignment() + " on device " + file.device(), shardCpuNanos);
    }

    /**
     * What one job did on one shard.
     *
     * @param spec     the job
     * @param shard    the shard
     * @param ops      requests completed in the window
     * @param bytes    bytes transferred in the window
     * @param seconds  the window's length
     * @param latency  submission-to-completion times, nanoseconds
     * @param engine   what performed the I/O on this shard
     * @param fileInfo the file's alignment and device
     * @param shardCpuNanos the shard thread's CPU time in the window, for all of its jobs together
     */
    record ShardResult(JobSpec spec, int shard, long ops, long bytes, double seconds, Histogram latency, String engine,
                       String fileInfo, long shardCpuNanos) {}
}
