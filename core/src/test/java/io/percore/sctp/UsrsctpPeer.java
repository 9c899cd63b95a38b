package io.percore.sctp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Builds (once per JVM, with gcc against libusrsctp) and runs the usrsctp peer program of
 * core/src/test/c/usrsctp_peer.c. {@link #unavailable()} says why it cannot run, or null.
 */
final class UsrsctpPeer implements AutoCloseable {
    private static Path binary;
    private static String unavailable;

    static synchronized String unavailable() {
        build();
        return unavailable;
    }

    static synchronized Path binary() {
        build();
        return binary;
    }

    private static void build() {
        if (binary != null || unavailable != null) {
            return;
        }
        Path src = locate("core/src/test/c/usrsctp_peer.c");
        if (src == null) {
            unavailable = "usrsctp_peer.c not found";
            return;
        }
        if (!Files.exists(Path.of("/usr/include/usrsctp.h"))) {
            unavailable = "libusrsctp-dev is not installed (.ci/run installs it)";
            return;
        }
        try {
            Path out = Files.createTempDirectory("percore-usrsctp").resolve("usrsctp_peer");
            Process p = new ProcessBuilder("gcc", "-O2", "-o", out.toString(), src.toString(), "-lusrsctp", "-lpthread")
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("gcc failed: " + log);
            }
            binary = out;
        } catch (IOException e) {
            unavailable = "gcc is not available: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            unavailable = "interrupted";
        }
    }

    private static Path locate(String relative) {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            Path c = p.resolve(relative);
            if (Files.exists(c)) {
                return c;
            }
            Path c2 = p.resolve(relative.substring("core/".length()));
            if (Files.exists(c2)) {
                return c2;
            }
        }
        return null;
    }

    private final Process process;
    private final BufferedReader out;
    final List<String> lines = new ArrayList<>();

    UsrsctpPeer(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(binary().toString());
        cmd.addAll(List.of(args));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** @return the next output line (blocking; call off-shard), or null at end */
    String readLine() throws IOException {
        String l = out.readLine();
        if (l != null) {
            lines.add(l);
        }
        return l;
    }

    /** @return the exit status, waiting at most {@code seconds}. */
    int waitFor(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            return -1;
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
