package io.percore.file;

import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import io.percore.memory.Buffer;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.util.concurrent.TimeUnit;

/**
 * The writer of {@link FlushDurabilityTest}, run in a child JVM: writes two files with percore (one through an
 * output stream that is closed, one with a DMA write and a flush but no close), prints "written", and halts the JVM
 * at once, with no orderly stop of its shards and no shutdown hooks, as a crash would.
 */
public final class DurabilityWriter {
    private DurabilityWriter() {}

    /** {@code DurabilityWriter STREAM_FILE DMA_FILE LENGTH SEED}. */
    public static void main(String[] args) throws Exception {
        String streamFile = args[0];
        String dmaFile = args[1];
        int length = Integer.parseInt(args[2]);
        long seed = Long.parseLong(args[3]);
        byte[] data = FileTesting.pattern(seed, length);
        Smp smp = Smp.start(SmpConfig.of(1, ReactorConfig.defaults()), r -> {});
        smp.submitExternal(0, () -> Files.openDma(streamFile, OpenOptions.writeOnly().withCreate().withTruncate())
                .flatMap(f -> {
                    FileOutputStream out = FileOutputStream.open(f, FileStreamOptions.defaults().withBufferSize(8192));
                    return out.write(Buffer.copyOf(data)).then(out::close);
                })).get(30, TimeUnit.SECONDS);
        smp.submitExternal(0, () -> Files.openDma(dmaFile, OpenOptions.writeOnly().withCreate().withTruncate())
                .flatMap(f -> {
                    Buffer b = FileTesting.dmaCopy(f, data);
                    return f.write(0, b).finallyDo(b::release).then(f::flush);
                }).then(() -> Future.ready(0))).get(30, TimeUnit.SECONDS);
        System.out.println("written");
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
