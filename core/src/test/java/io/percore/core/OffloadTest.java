package io.percore.core;

import static io.percore.core.OnShard.call;
import static io.percore.core.OnShard.callFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.smp.Smp;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Offload: blocking calls run on helper threads and complete back on the calling shard. */
class OffloadTest {
    static Smp smp;

    @BeforeAll
    static void startShards() {
        smp = OnShard.start(2, ReactorConfig.defaults());
    }

    @AfterAll
    static void stopShards() {
        smp.stop();
    }

    @Test
    void theCallRunsOffTheShardAndTheFutureCompletesBackOnIt() {
        String r = call(smp, 1, () -> Offload.run(() -> {
            // A blocking call: fine here, a bug on a shard.
            Thread.sleep(5);
            return Thread.currentThread().getName() + " shard=" + Shard.currentId();
        }).map(v -> v + ", completed on shard " + Shard.currentId() + " (" + Thread.currentThread().getName() + ")"));
        assertTrue(r.matches("percore-offload-\\d+ shard=-1, completed on shard 1 \\(shard-1\\)"), r);
    }

    @Test
    void theShardKeepsRunningWhileTheCallBlocks() {
        String r = call(smp, 0, () -> {
            Future<String> slow = Offload.run(() -> {
                Thread.sleep(200);
                return "slow";
            });
            // The shard is free: a 1 ms timer fires long before the blocking call returns.
            return Timer.sleep(Duration.ofMillis(1)).map(v -> slow.isDone() ? "blocked" : "free")
                    .flatMap(free -> slow.map(s -> free + "," + s));
        });
        assertEquals("free,slow", r);
    }

    @Test
    void exceptionsComeBackToTheShard() {
        IOException io = new IOException("disk on fire");
        assertSame(io, callFailure(smp, 1, () -> Offload.run(() -> {
            throw io;
        })));
        Error error = new OutOfMemoryError("pretend");
        assertSame(error, callFailure(smp, 1, () -> Offload.run(() -> {
            throw error;
        })));
    }

    @Test
    void aNullResultIsAValue() {
        assertEquals("null", call(smp, 0, () -> Offload.run(() -> null).map(String::valueOf)));
    }

    @Test
    void offloadNeedsAShardToCompleteOn() {
        assertThrows(IllegalStateException.class, () -> Offload.run(() -> 1));
    }
}
