package io.percore.net.stack;

import io.percore.core.Future;
import java.util.List;

/** Test helper: records copies of the frames B's shard-0 stack receives, by swapping in a recording frame hook. */
final class FrameTap {
    private FrameTap() {}

    static void install(StackTesting.Pair p, List<byte[]> into) throws Exception {
        p.on(0, () -> {
            p.b.stacks[0].frameHook = f -> into.add(f.toArray());
            return Future.done();
        });
    }

    static void remove(StackTesting.Pair p) throws Exception {
        p.on(0, () -> {
            p.b.stacks[0].frameHook = null;
            return Future.done();
        });
    }
}
