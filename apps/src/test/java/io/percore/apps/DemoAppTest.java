package io.percore.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.app.AppTemplate;
import io.percore.apps.demo.DemoApp;
import io.percore.smp.CpuSet;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The demo in-process, and the app dispatcher. */
class DemoAppTest {
    static final List<String> TWO_SHARDS = CpuSet.allowed().size() >= 2
            ? List.of("--smp", "2")
            : List.of("--smp", "2", "--overprovisioned");

    @Test
    void demoTourAddsUpOnTwoShards() {
        ByteArrayOutputStream report = new ByteArrayOutputStream();
        DemoApp.Options options = new DemoApp.Options();
        long t0 = System.nanoTime();
        int code = AppTemplate.builder("percore demo").handleSignals(false).options(options)
                .runForExitCode(TWO_SHARDS.toArray(String[]::new),
                        ctx -> DemoApp.tour(ctx, options, new PrintStream(report, true, StandardCharsets.UTF_8)));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String text = report.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        assertTrue(text.contains("percore demo: 2 shard(s)"), text);
        assertTrue(text.contains("sum of 1..1000000 = 500000500000 (expected 500000500000)"), text);
        assertTrue(text.contains("increments counted 1000 of 1000: OK"), text);
        assertTrue(text.matches("(?s).*\\n0 +shard-0 .*\\n1 +shard-1 .*"), "a line per shard:\n" + text);
        assertTrue(ms < 15_000, "the demo took " + ms + " ms");
    }

    @Test
    void demoOptionsChangeTheWork() {
        ByteArrayOutputStream report = new ByteArrayOutputStream();
        DemoApp.Options options = new DemoApp.Options();
        int code = AppTemplate.builder("percore demo").handleSignals(false).options(options)
                .runForExitCode(new String[]{"--smp", "1", "--numbers", "10", "--increments", "7"},
                        ctx -> DemoApp.tour(ctx, options, new PrintStream(report, true, StandardCharsets.UTF_8)));
        String text = report.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        assertTrue(text.contains("sum of 1..10 = 55 (expected 55); increments counted 7 of 7: OK"), text);
    }

    @Test
    void mainRejectsUnknownAppsWithOneLine() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[]{"httpdd", "--smp", "1"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertEquals("percore: unknown app 'httpdd' (apps: httpd, demo, sctp-echo, echo, bench, io_tester)\n", err.toString(StandardCharsets.UTF_8));
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void mainListsItsApps() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, Main.run(new String[]{"--help"}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err));
        String text = out.toString(StandardCharsets.UTF_8);
        for (String app : Main.appNames()) {
            assertTrue(text.contains("  " + app + " "), text);
        }
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, Main.run(new String[0], System.out, new PrintStream(err, true, StandardCharsets.UTF_8)));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("percore: name a program to run"));
    }
}
