package io.percore.dns;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A dnsmasq (Debian package dnsmasq-base) started by a test on 127.0.0.1 and a random high port, with names
 * given on its command line and in an extra hosts file; no upstream servers, no system files. Started and
 * stopped from the JUnit thread, never from a shard.
 */
final class Dnsmasq implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private Dnsmasq(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** @return the dnsmasq binary on PATH or in the sbin directories (not always on a user's PATH), or null. */
    static Path binary() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/local/sbin"));
        for (String d : dirs) {
            if (d.isEmpty()) {
                continue;
            }
            Path p = Path.of(d, "dnsmasq");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * Starts dnsmasq with {@code args} added to the fixed ones, on a free random port (tries a few), and waits
     * until it answers.
     */
    static Dnsmasq start(Path dir, List<String> args) throws IOException, InterruptedException {
        Path binary = binary();
        if (binary == null) {
            throw new IllegalStateException("dnsmasq is not installed (apt-get install dnsmasq-base)");
        }
        IOException last = null;
        for (int tries = 0; tries < 8; tries++) {
            int port = ThreadLocalRandom.current().nextInt(20000, 60000);
            Path log = dir.resolve("dnsmasq-" + port + ".log");
            List<String> command = new ArrayList<>(List.of(binary.toString(),
                    "--no-daemon",              // foreground, no pid file, no change of user
                    "--conf-file=/dev/null",    // no system configuration
                    "--port=" + port,
                    "--listen-address=127.0.0.1",
                    "--bind-interfaces",        // bind only 127.0.0.1:port, not the wildcard
                    "--no-resolv",              // no upstream servers: only the names below exist
                    "--no-hosts",               // not /etc/hosts
                    "--log-facility=-",         // log to stderr (the log file), not syslog
                    "--log-queries"));
            command.addAll(args);
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Dnsmasq d = new Dnsmasq(p, port, log);
            if (d.awaitReady()) {
                return d;
            }
            d.close();
            last = new IOException("dnsmasq did not start on port " + port + ": " + Files.readString(log));
        }
        throw last;
    }

    /** @return true once a query gets an answer; false when the process died (a port in use) or 10 s passed. */
    private boolean awaitReady() throws IOException, InterruptedException {
        byte[] probe = DnsMessage.query(1, "probe.invalid", DnsRecord.A, 0).encode();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(100);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    return false;
                }
                s.send(new DatagramPacket(probe, probe.length, InetAddress.getLoopbackAddress(), port));
                try {
                    s.receive(new DatagramPacket(new byte[512], 512));
                    return true;
                } catch (SocketTimeoutException notYet) {
                    // still starting
                }
            }
        }
        return false;
    }

    int port() {
        return port;
    }

    /** @return how many queries dnsmasq logged so far (its log line per query). */
    long queriesLogged() throws IOException {
        return Files.readAllLines(log).stream().filter(l -> l.contains(": query[")).count();
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() {
        process.destroy(); // SIGTERM
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
