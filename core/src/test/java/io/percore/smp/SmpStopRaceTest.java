package io.percore.smp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** Work handed in from outside while the shards stop is either run or rejected: no caller is left hanging. */
class SmpStopRaceTest {
    @Test
    void everyExternalSubmissionRacingWithStopCompletesOrIsRejected() throws Exception {
        for (int round = 0; round < 20; round++) {
            Smp smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> { });
            List<CompletableFuture<Integer>> calls = new ArrayList<>();
            Thread submitter = new Thread(() -> {
                for (int i = 0; i < 20_000; i++) {
                    calls.add(smp.submitExternal(i & 1, () -> Future.ready(1)));
                }
            });
            submitter.start();
            Thread.sleep(round % 5);
            smp.stop();
            submitter.join();
            int ran = 0;
            int rejected = 0;
            for (CompletableFuture<Integer> c : calls) {
                try {
                    ran += c.get(5, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    assertInstanceOf(RejectedExecutionException.class, e.getCause());
                    rejected++;
                } catch (TimeoutException e) {
                    throw new AssertionError("a call submitted while the shards stopped never completed (round "
                            + round + ")", e);
                }
            }
            assertEquals(calls.size(), ran + rejected);
            assertTrue(calls.size() == 20_000);
        }
    }
}
