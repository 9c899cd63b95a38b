package io.percore.apps;

import io.percore.apps.demo.DemoApp;
import io.percore.apps.iotester.IoTesterApp;
import io.percore.apps.echo.EchoApp;
import io.percore.apps.httpd.HttpdApp;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Entry point of the apps module: {@code Main APP [options]} runs the program named APP with the remaining
 * arguments and exits with its exit code. {@code ./percore} calls it for every program except {@code bench},
 * which lives in the bench module.
 */
public final class Main {
    private Main() {}

    /** A program this entry point knows: a one-line summary and how to run it. */
    private record App(String summary, Runner runner) {}

    /** Runs a program with its command name ("percore demo") and arguments; returns its exit code. */
    @FunctionalInterface
    private interface Runner {
        int run(String command, String[] args, PrintStream err);
    }

    private static final Map<String, App> APPS = new LinkedHashMap<>();

    static {
        APPS.put("httpd", new App("the HTTP/1.1 server: hello, /json, /static/ (--dir), websocket echo on /ws, /metrics",
                (command, args, err) -> HttpdApp.run(command, args, System.out)));
        APPS.put("demo", new App("a tour of the runtime: work sent across all shards, then exit (--wait: run until stopped)",
                (command, args, err) -> DemoApp.run(command, args)));
        APPS.put("sctp-echo", new App("SCTP echo server/client over UDP encapsulation or raw IP (--mode server|client)",
                (command, args, err) -> io.percore.apps.sctpecho.SctpEchoApp.run(command, args)));
        APPS.put("echo", new App("TCP and UDP echo server on one port, IPv4 and IPv6 (--port, default 10001)",
                (command, args, err) -> EchoApp.run(command, args)));
        APPS.put("bench", new App("benchmarks beside their peers (bench module; start it with ./percore bench)",
                (command, args, err) -> {
                    err.println("percore: bench is in the bench module; run it with ./percore bench");
                    return 2;
                }));
        APPS.put("io_tester", new App("storage workloads through DMA files and the I/O scheduler: IOPS, bandwidth, "
                + "latency per class and shard", (command, args, err) -> IoTesterApp.run(command, args, System.out, err)));
    }

    /** Runs the named program and exits the JVM with its code. */
    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /**
     * Dispatches {@code args[0]} to its program. Non-shard thread.
     *
     * @return the program's exit code; 0 for {@code --help}; 2 with one line on {@code err} for no or an unknown
     * program name
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println("percore: name a program to run (apps: " + String.join(", ", APPS.keySet()) + ")");
            printApps(err);
            return 2;
        }
        if (args[0].equals("--help") || args[0].equals("-h")) {
            printApps(out);
            return 0;
        }
        App app = APPS.get(args[0]);
        if (app == null) {
            err.println("percore: unknown app '" + args[0] + "' (apps: " + String.join(", ", APPS.keySet()) + ")");
            return 2;
        }
        return app.runner().run("percore " + args[0], Arrays.copyOfRange(args, 1, args.length), err);
    }

    /** @return the names of the programs, in the order {@code --help} lists them. */
    public static java.util.Set<String> appNames() {
        return java.util.Collections.unmodifiableSet(APPS.keySet());
    }

    private static void printApps(PrintStream s) {
        s.println("Usage: ./percore APP [options]   (./percore APP --help for the options of APP)");
        s.println("Apps:");
        for (Map.Entry<String, App> e : APPS.entrySet()) {
            s.printf("  %-8s %s%n", e.getKey(), e.getValue().summary());
        }
    }
}
