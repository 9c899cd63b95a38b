package io.percore.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Offload;
import io.percore.core.Reactor;
import io.percore.core.ReactorConfig;
import io.percore.core.SchedulingGroup;
import io.percore.core.Shard;
import io.percore.core.Timer;
import io.percore.smp.Service;
import io.percore.smp.Sharded;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's API tour, compiled and run. Each example sits between {@code // README:begin NAME} and
 * {@code // README:end} markers; {@link #readmeShowsTheseExamplesVerbatim()} fails when README.md does not contain
 * exactly this code, so the README cannot drift from what compiles.
 */
class ReadmeExamplesTest {
    private static Smp smp;

    @BeforeAll
    static void start() {
        smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> {});
    }

    @AfterAll
    static void stop() {
        smp.stop();
    }

    private static <T> T onShard0(Supplier<Future<T>> work) throws Exception {
        return smp.submitExternal(0, work).get(10, TimeUnit.SECONDS);
    }

    @Test
    void futureChains() throws Exception {
        int result = onShard0(() -> {
            // README:begin future-chain
            Future<Integer> answer = Future.ready(20)
                    .map(x -> x + 1)                                   // runs now: the future is ready
                    .flatMap(x -> Timer.sleep(Duration.ofMillis(5))    // pending for 5 ms; the shard runs other tasks
                            .map(v -> x * 2))
                    .handleException(e -> -1);                         // any failure above becomes -1
            // README:end
            return answer;
        });
        assertEquals(42, result);
    }

    @Test
    void submitToAndMapReduce() throws Exception {
        List<Integer> results = onShard0(() -> {
            // README:begin smp
            Future<Integer> fromShard1 = Smp.submitTo(1, () -> Future.ready(Shard.currentId() * 100));
            Future<Integer> shards = Smp.mapReduce(() -> Future.ready(1), 0, Integer::sum);
            Future<Void> everywhere = Smp.invokeOnAll(() -> Timer.sleep(Duration.ofMillis(1)));  // all at once
            // README:end
            return fromShard1.flatMap(a -> shards.flatMap(b -> everywhere.map(v -> List.of(a, b))));
        });
        assertEquals(List.of(100, 2), results);
    }

    // README:begin sharded-service
    /** One per shard; each instance is touched only by its own shard. */
    static final class Hits implements Service {
        long count;

        @Override
        public Future<Void> stop() {
            return Future.done();  // release what this shard's instance holds
        }
    }

    static Future<Long> countEverywhere() {
        return Sharded.start(shardId -> new Hits()).flatMap(hits ->
                hits.invokeOnAll(h -> {
                            h.count += 10;
                            return Future.done();
                        })
                        .then(() -> hits.invokeOn(1, h -> Future.ready(++h.count)))
                        .then(() -> hits.mapReduce(h -> Future.ready(h.count), 0L, Long::sum))
                        .finallyDoAsync(hits::stop));  // gates close, then instances stop, last shard first
    }
    // README:end

    @Test
    void shardedService() throws Exception {
        assertEquals(21L, onShard0(ReadmeExamplesTest::countEverywhere));
    }

    @Test
    void asyncBody() throws Exception {
        int result = onShard0(() -> {
            // README:begin async
            Future<Integer> total = Async.run(() -> {
                int a = Async.await(Smp.submitTo(1, () -> Future.ready(1)));
                Async.sleep(Duration.ofMillis(1));             // suspends the body, not the shard
                int b = Async.await(Smp.submitTo(0, () -> Future.ready(2)));
                return a + b;
            });
            // README:end
            return total;
        });
        assertEquals(3, result);
    }

    @Test
    void timers() throws Exception {
        int counted = onShard0(() -> {
            // README:begin timers
            int[] ticks = {0};
            Timer ticker = new Timer(() -> ticks[0]++);
            ticker.armPeriodic(Duration.ofMillis(2));
            Future<Integer> afterSome = Timer.sleep(Duration.ofMillis(30)).map(v -> {
                ticker.cancel();
                return ticks[0];
            });
            // README:end
            return afterSome;
        });
        assertTrue(counted >= 1 && counted <= 15, "ticks: " + counted);
    }

    // README:begin scheduling-groups
    static final SchedulingGroup BACKGROUND = SchedulingGroup.create("background", 100);  // main has 1000

    static Future<Long> compactInBackground() {
        return BACKGROUND.run(() -> Async.run(() -> {
            long work = 0;
            for (int i = 0; i < 1_000_000; i++) {
                work += i;
                Async.maybeYield();  // lets the main group run when this group's quota is used up
            }
            return work;
        }));
    }
    // README:end

    @Test
    void schedulingGroups() throws Exception {
        assertEquals(499_999_500_000L, onShard0(ReadmeExamplesTest::compactInBackground));
        long used = smp.submitExternal(0, () -> Future.ready(Reactor.current().runtimeNanos(BACKGROUND)))
                .get(10, TimeUnit.SECONDS);
        assertTrue(used > 0, "the work was accounted to the background group");
    }

    @Test
    void offload() throws Exception {
        int counted = onShard0(() -> {
            // README:begin offload
            Future<Integer> lines = Offload.run(() -> Files.readAllLines(Path.of("/proc/self/status")).size())
                    .map(n -> n);  // back on the calling shard
            // README:end
            return lines;
        });
        assertTrue(counted > 5, "lines: " + counted);
    }

    @Test
    void helloApp() throws Exception {
        try (JavaProcess p = JavaProcess.java(HelloApp.class.getName(), "--smp", "1", "--greeting", "hi")) {
            assertEquals(0, p.exitCode(Duration.ofSeconds(20)), p.transcript());
            assertEquals(List.of("hi from 1 shard(s)"), p.out(), p.transcript());
        }
    }

    // ------------------------------------------------------------ keeping the README honest

    /** @return every example of the given source file, by name, with its common indentation removed. */
    static Map<String, String> examples(Path source) throws IOException {
        Map<String, String> found = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(source, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (!l.startsWith("// README:begin ")) {
                continue;
            }
            String name = l.substring("// README:begin ".length()).strip();
            List<String> body = new ArrayList<>();
            int j = i + 1;
            while (!lines.get(j).strip().equals("// README:end")) {
                body.add(lines.get(j++));
            }
            int indent = body.stream().filter(s -> !s.isBlank())
                    .mapToInt(s -> s.length() - s.stripLeading().length()).min().orElse(0);
            StringBuilder sb = new StringBuilder();
            for (String s : body) {
                sb.append(s.isBlank() ? "" : s.substring(indent)).append('\n');
            }
            found.put(name, sb.toString());
            i = j;
        }
        return found;
    }

    @Test
    void readmeShowsTheseExamplesVerbatim() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        Path dir = Path.of("src", "test", "java", "io", "percore", "apps");
        Map<String, String> all = new LinkedHashMap<>();
        all.putAll(examples(dir.resolve("ReadmeExamplesTest.java")));
        all.putAll(examples(dir.resolve("HelloApp.java")));
        assertTrue(all.size() >= 8, "examples found: " + all.keySet());
        for (Map.Entry<String, String> e : all.entrySet()) {
            if (!readme.contains("```java\n" + e.getValue() + "```")) {
                fail("README.md lacks example '" + e.getKey() + "' exactly as compiled; it should read:\n```java\n"
                        + e.getValue() + "```");
            }
        }
    }
}
