package io.percore.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server under test in a child JVM pinned with {@code taskset}, as the process comparisons ({@code bench http},
 * {@code bench tcp}) run it: every server gets the same JVM flags ({@code -XX:+UseParallelGC -Xms256m -Xmx256m}),
 * its output goes to a temporary log, and its CPU time (utime + stime from {@code /proc/PID/stat}) and RSS can be
 * read at any moment. Also the small process helpers those comparisons share: is a program on the PATH, a free
 * port, USER_HZ.
 *
 * <p>One thread at a time (the benchmark's main thread). {@link #close()} stops the server.
 */
public final class ServerProcess implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final int port;

    private ServerProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /**
     * Starts {@code mainAndArgs} (a main class of this classpath and its arguments; "PORT" is replaced by a free
     * port) in a JVM pinned to {@code cpus}. Does not wait for it to listen: see {@link #awaitPort(long)}.
     *
     * @param cpus a {@code taskset -c} CPU list
     */
    public static ServerProcess start(String cpus, List<String> mainAndArgs) throws IOException {
        int port = freePort();
        List<String> cmd = new ArrayList<>(List.of("taskset", "-c", cpus));
        cmd.addAll(javaCommand());
        for (String a : mainAndArgs) {
            cmd.add(a.equals("PORT") ? Integer.toString(port) : a);
        }
        Path log = Files.createTempFile("percore-bench-server", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new ServerProcess(p, log, port);
    }

    /** @return {@code java} of this JVM with the flags every child JVM of the comparisons gets, and this classpath. */
    public static List<String> javaCommand() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow",
                "-XX:+UseParallelGC", "-Xms256m", "-Xmx256m",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"));
    }

    /** @return the TCP port the server was told to listen on (on 127.0.0.1, or a wildcard address). */
    public int port() {
        return port;
    }

    /** @return the server's process id. */
    public long pid() {
        return process.pid();
    }

    /**
     * Waits until a TCP connection to 127.0.0.1:{@link #port()} succeeds (the test connection is closed at once).
     *
     * @return false when the server exited or did not listen within {@code millis}
     */
    public boolean awaitPort(long millis) throws InterruptedException {
        long end = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < end) {
            if (!process.isAlive()) {
                return false;
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        return false;
    }

    /** @return the server's utime + stime so far, in clock ticks ({@link #clockTicks()} per second). */
    public long cpuTicks() throws IOException {
        return cpuTicks(process.pid());
    }

    /** @return the server's user CPU time so far (utime), in clock ticks: {@link #cpuTicks()} less the kernel's part. */
    public long userTicks() throws IOException {
        return statField(process.pid(), 11);
    }

    /** @return the server's resident set size now, in KiB. */
    public long rssKb() throws IOException {
        return rssKb(process.pid());
    }

    /** @return the last three lines the server printed, joined with " | " (why it did not start). */
    public String tail() throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
    }

    /** Stops the server (SIGTERM, then SIGKILL after 15 s) and deletes its log. */
    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(log);
    }

    /** @return utime + stime of process {@code pid}, in clock ticks. */
    public static long cpuTicks(long pid) throws IOException {
        return statField(pid, 11) + statField(pid, 12); // utime and stime: fields 14 and 15 of proc(5)
    }

    /** @return field {@code index + 3} of /proc/PID/stat (counted from 1 as proc(5) does), read as a number. */
    private static long statField(long pid, int index) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[index]);
    }

    /** @return VmRSS of process {@code pid} in KiB; 0 when the kernel does not report it. */
    public static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    private static long ticks;

    /** @return USER_HZ (getconf CLK_TCK), 100 on every Linux this runs on, asked once. */
    public static long clockTicks() throws IOException, InterruptedException {
        if (ticks == 0) {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            p.waitFor(5, TimeUnit.SECONDS);
            ticks = out.isEmpty() ? 100 : Long.parseLong(out);
        }
        return ticks;
    }

    /** @return a TCP port free on this host a moment ago. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** @return true when an executable named {@code program} is in a directory of PATH. */
    public static boolean onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }
}
