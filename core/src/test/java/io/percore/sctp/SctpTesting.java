package io.percore.sctp;

import io.percore.core.Async;
import io.percore.core.ReactorConfig;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Runs a test body on a fresh one-shard runtime, inside {@link Async} so that it can await futures. */
final class SctpTesting {
    private SctpTesting() {}

    static InitOptions fast() {
        return InitOptions.defaults().withRto(Duration.ofMillis(50), Duration.ofMillis(20), Duration.ofMillis(400))
                .withRetransmissionLimits(8, 40, 10).withSackDelay(Duration.ofMillis(20)).withStreams(8, 8);
    }

    static <T> T onShard(long timeoutSeconds, Callable<T> body) throws Exception {
        Smp smp = Smp.start(SmpConfig.of(1, ReactorConfig.defaults()), r -> { });
        try {
            return smp.submitExternal(0, () -> Async.run(body)).get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception x) {
                throw x;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        } finally {
            smp.stop();
        }
    }
}
