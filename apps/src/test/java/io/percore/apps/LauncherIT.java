package io.percore.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@code ./percore} itself, after {@code package} (failsafe runs this in {@code verify}). PERCORE_NO_BUILD=1 keeps
 * the launcher from starting a nested Maven build inside this one; everything else is the user's path: JDK
 * discovery, flags, class path, dispatch, exec (signals reach the JVM).
 */
class LauncherIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private static JavaProcess percore(String... args) throws Exception {
        assertTrue(Files.isExecutable(ROOT.resolve("percore")), "no executable ./percore in " + ROOT);
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("percore").toString()));
        cmd.addAll(List.of(args));
        return JavaProcess.start(cmd, Map.of("PERCORE_NO_BUILD", "1"), ROOT);
    }

    @Test
    void demoRunsThroughTheLauncher() throws Exception {
        List<String> args = new ArrayList<>(List.of("demo"));
        args.addAll(DemoAppTest.TWO_SHARDS);
        try (JavaProcess p = percore(args.toArray(String[]::new))) {
            assertEquals(0, p.exitCode(Duration.ofSeconds(20)), p.transcript());
            assertTrue(p.out().stream().anyMatch(l -> l.endsWith("increments counted 1000 of 1000: OK")), p.transcript());
            assertTrue(p.err().stream().noneMatch(l -> l.startsWith("percore: building")), "nothing to build:\n" + p.transcript());
        }
    }

    @Test
    void helpListsTheSameAppsAsMain() throws Exception {
        try (JavaProcess p = percore("--help")) {
            assertEquals(0, p.exitCode(Duration.ofSeconds(20)), p.transcript());
            Set<String> listed = new TreeSet<>();
            boolean inApps = false;
            for (String l : p.out()) {
                if (l.equals("Apps:")) {
                    inApps = true;
                } else if (inApps && l.startsWith("  ")) {
                    listed.add(l.strip().split(" +")[0]);
                } else {
                    inApps = false;
                }
            }
            assertEquals(new TreeSet<>(Main.appNames()), listed, p.transcript());
        }
        try (JavaProcess p = percore()) {
            assertEquals(2, p.exitCode(Duration.ofSeconds(20)), p.transcript());
            assertTrue(p.err().get(0).startsWith("percore: name a program"), p.transcript());
        }
    }

    @Test
    void unknownAppAndBadOptionAreOneLineAndExitTwo() throws Exception {
        try (JavaProcess p = percore("nosuch")) {
            assertEquals(2, p.exitCode(Duration.ofSeconds(20)), p.transcript());
            assertEquals(List.of("percore: unknown app 'nosuch' (apps: httpd, demo, sctp-echo, echo, bench, io_tester)"), p.err(), p.transcript());
        }
        try (JavaProcess p = percore("demo", "--smpp", "2")) {
            assertEquals(2, p.exitCode(Duration.ofSeconds(20)), p.transcript());
            assertEquals(List.of("percore demo: unknown option '--smpp', did you mean '--smp'? (see --help)"), p.err(),
                    p.transcript());
        }
    }

    @Test
    void sigtermReachesTheProgramThroughTheLauncher() throws Exception {
        try (JavaProcess p = percore("demo", "--smp", "1", "--wait")) {
            assertTrue(p.awaitLine("waiting for SIGINT/SIGTERM", Duration.ofSeconds(20)), p.transcript());
            p.signal("TERM");
            assertEquals(0, p.exitCode(Duration.ofSeconds(15)), p.transcript());
            assertTrue(p.err().stream().anyMatch(l -> l.contains("[shard-0] INFO DemoApp - stop requested")), p.transcript());
        }
    }
}
