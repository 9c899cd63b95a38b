package io.percore.apps;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A child process for end-to-end tests: its stdout and stderr are read into line lists as they come, so a test
 * can wait for a line, send a signal, and bound every wait. The process is killed on {@link #close()}.
 */
final class JavaProcess implements AutoCloseable {
    private final Process process;
    private final List<String> out = new CopyOnWriteArrayList<>();
    private final List<String> err = new CopyOnWriteArrayList<>();
    private final Thread outReader;
    private final Thread errReader;

    private JavaProcess(Process process) {
        this.process = process;
        this.outReader = pump(process.getInputStream(), out, "stdout");
        this.errReader = pump(process.getErrorStream(), err, "stderr");
    }

    /** Starts {@code java <percore flags> -cp <this test's class path> mainClass args}. */
    static JavaProcess java(String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
                "-ea", "-cp", testClassPath(), mainClass));
        cmd.addAll(List.of(args));
        return start(cmd, Map.of(), null);
    }

    /** Starts any command in {@code dir} with extra environment variables. */
    static JavaProcess start(List<String> command, Map<String, String> env, Path dir) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        return new JavaProcess(pb.start());
    }

    /** Surefire runs tests from a manifest-only jar; it passes the real class path in this property. */
    private static String testClassPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    private static Thread pump(InputStream in, List<String> lines, String name) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("<" + name + " read failed: " + e + ">");
            }
        }, "child-" + name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    long pid() {
        return process.pid();
    }

    /** Sends a signal by name ("TERM", "INT") with kill(1). */
    void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    /** @return true once a line of stderr or stdout contains {@code text}, false after {@code timeout}. */
    boolean awaitLine(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (contains(out, text) || contains(err, text)) {
                return true;
            }
            if (!process.isAlive() && !outReader.isAlive() && !errReader.isAlive()) {
                return contains(out, text) || contains(err, text);
            }
            Thread.sleep(20);
        }
        return false;
    }

    private static boolean contains(List<String> lines, String text) {
        for (String l : lines) {
            if (l.contains(text)) {
                return true;
            }
        }
        return false;
    }

    /** @return the exit code, or throws when the process is still running after {@code timeout}. */
    int exitCode(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("still running after " + timeout.toMillis() + " ms; output so far:\n" + transcript());
        }
        outReader.join(5_000);
        errReader.join(5_000);
        return process.exitValue();
    }

    List<String> out() {
        return out;
    }

    List<String> err() {
        return err;
    }

    /** @return both streams, for assertion messages. */
    String transcript() {
        return "--- stdout\n" + String.join("\n", out) + "\n--- stderr\n" + String.join("\n", err);
    }

    @Override
    public void close() {
        process.destroyForcibly();
        process.descendants().forEach(ProcessHandle::destroyForcibly);
    }
}
