package io.percore.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * End to end, in a child JVM started with the launcher's flags: the demo's exit code and output, and how the
 * process reacts to SIGTERM/SIGINT (first: orderly stop, exit 0; second: out at once).
 */
class DemoProcessTest {
    private static String[] demo(String... more) {
        List<String> args = new ArrayList<>(List.of("demo"));
        args.addAll(DemoAppTest.TWO_SHARDS);
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void demoRunsAndExitsZero() throws Exception {
        try (JavaProcess p = JavaProcess.java("io.percore.apps.Main", demo())) {
            assertEquals(0, p.exitCode(Duration.ofSeconds(20)), p.transcript());
            assertTrue(p.out().contains("percore demo: 2 shard(s)"), p.transcript());
            assertTrue(p.out().stream().anyMatch(l -> l.endsWith("increments counted 1000 of 1000: OK")), p.transcript());
            assertTrue(p.err().stream().anyMatch(l -> l.contains("[shard-1] INFO DemoApp - shard 1 here")),
                    "log lines carry the shard's thread:\n" + p.transcript());
            assertTrue(p.err().stream().anyMatch(l -> l.contains("all shards stopped")), p.transcript());
        }
    }

    @Test
    void badOptionExitsTwoWithOneLine() throws Exception {
        try (JavaProcess p = JavaProcess.java("io.percore.apps.Main", "demo", "--smp", "1", "--memory", "lots")) {
            assertEquals(2, p.exitCode(Duration.ofSeconds(20)), p.transcript());
            assertEquals(1, p.err().size(), p.transcript());
            assertTrue(p.err().get(0).startsWith("percore demo: invalid value for option '--memory'"), p.transcript());
            assertTrue(p.out().isEmpty(), p.transcript());
        }
    }

    @Test
    void sigtermStopsTheWaitingDemoInOrder() throws Exception {
        try (JavaProcess p = JavaProcess.java("io.percore.apps.Main", demo("--wait"))) {
            assertTrue(p.awaitLine("waiting for SIGINT/SIGTERM", Duration.ofSeconds(20)), p.transcript());
            long t0 = System.nanoTime();
            p.signal("TERM");
            assertEquals(0, p.exitCode(Duration.ofSeconds(15)), p.transcript());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 10_000, "stopping took " + ms + " ms");
            String log = String.join("\n", p.err());
            int asked = log.indexOf("SIGTERM received");
            int stopped = log.indexOf("[shard-0] INFO DemoApp - stop requested");
            int counters = log.indexOf("counter of shard 1 stops");
            int shards = log.indexOf("all shards stopped");
            assertTrue(asked >= 0 && asked < stopped && stopped < counters && counters < shards,
                    "stop request, the program's own stop, its services, then the shards:\n" + p.transcript());
        }
    }

    @Test
    void sigintStopsItToo() throws Exception {
        try (JavaProcess p = JavaProcess.java("io.percore.apps.Main", "demo", "--smp", "1", "--wait")) {
            assertTrue(p.awaitLine("waiting for SIGINT/SIGTERM", Duration.ofSeconds(20)), p.transcript());
            p.signal("INT");
            assertEquals(0, p.exitCode(Duration.ofSeconds(15)), p.transcript());
            assertTrue(p.err().stream().anyMatch(l -> l.contains("SIGINT received")), p.transcript());
        }
    }

    @Test
    void secondSignalExitsAtOnce() throws Exception {
        try (JavaProcess p = JavaProcess.java(StubbornApp.class.getName(), "--smp", "1")) {
            assertTrue(p.awaitLine("ignoring stop requests", Duration.ofSeconds(20)), p.transcript());
            p.signal("TERM");
            assertTrue(p.awaitLine("asked to stop; not stopping", Duration.ofSeconds(10)), p.transcript());
            long t0 = System.nanoTime();
            p.signal("TERM");
            assertEquals(128 + 15, p.exitCode(Duration.ofSeconds(10)), p.transcript());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 5_000, "the second signal took " + ms + " ms (the stop bound is 60 s)");
            assertTrue(p.err().stream().anyMatch(l -> l.equals("stubborn: second signal (SIGTERM), exiting at once")),
                    p.transcript());
        }
    }
}
