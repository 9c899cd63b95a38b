package io.percore.net.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Futures;
import io.percore.memory.Buffer;
import io.percore.net.ConnectedSocket;
import io.percore.net.ListenOptions;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import io.percore.sys.ResourceLimit;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ten thousand connections on one shard, all open at once, each then served a request. The clients are a plain
 * JDK NIO program in a child process ({@link ManyClients}), so this process holds only the server's ten
 * thousand sockets (a process usually may not open twenty thousand). Shard 0 accepts and holds every
 * connection; once all are held the clients each send a line and read it back, and the server closes.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("io.percore.net.posix.IoMode#all")
@Timeout(90)
class ManyConnectionsTest extends NetTestBase {
    private static final Logger LOG = LoggerFactory.getLogger(ManyConnectionsTest.class);
    static final int CONNECTIONS = 10_000;
    /** The server's ends, plus the JVM's own descriptors and slack. */
    static final long NEEDED_FDS = CONNECTIONS + 1_000;
    private static final int MESSAGE = 16;

    @BeforeParameterizedClassInvocation
    static void start(IoMode m) throws Exception {
        startShards(m, 2);
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        stopShards();
    }

    private static ServerSocket server;
    private static final AtomicInteger held = new AtomicInteger();


    @Test
    void tenThousandConnectionsHeldAndServedOnOneShard() throws Exception {
        long limit = ResourceLimit.raiseOpenFiles(NEEDED_FDS);
        Assumptions.assumeTrue(limit >= NEEDED_FDS, "RLIMIT_NOFILE is " + limit + " and cannot be raised to "
                + NEEDED_FDS + " (needs a higher hard limit: ulimit -n)");
        held.set(0);
        SocketAddress address = on(0, () -> {
            server = stack().listen(loopback(false), ListenOptions.defaults().withBacklog(4096));
            serve(server, s -> {
                held.incrementAndGet();
                // One line back, then the server closes first (its TIME_WAIT costs the clients no ports).
                readLine(s).flatMap(line -> s.output().write(line))
                        .then(() -> s.output().close()).finallyDoAsync(s::close).ignoreFailure();
            }).ignoreFailure();
            return server.localAddress();
        });
        long t0 = System.nanoTime();
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", testClassPath(), ManyClients.class.getName(), Integer.toString(address.port()),
                Integer.toString(CONNECTIONS)).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
             Writer in = new OutputStreamWriter(child.getOutputStream(), StandardCharsets.UTF_8)) {
            String connected = out.readLine();
            assertEquals("connected " + CONNECTIONS, connected);
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (held.get() < CONNECTIONS && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(CONNECTIONS, held.get(), "shard 0 holds every connection at once");
            long heldAt = System.nanoTime();
            in.write("go\n");
            in.flush();
            String served = out.readLine();
            assertEquals("ok " + CONNECTIONS, served, "every connection got its own line back, then end of stream");
            assertTrue(child.waitFor(20, TimeUnit.SECONDS));
            assertEquals(0, child.exitValue());
            LOG.info("{}: {} connections on one shard: all held after {} ms, all served in {} ms more", mode,
                    CONNECTIONS, (heldAt - t0) / 1_000_000, (System.nanoTime() - heldAt) / 1_000_000);
        } finally {
            child.destroyForcibly();
            on(0, () -> {
                server.close();
                return null;
            });
        }
    }

    /** Surefire runs tests from a manifest-only jar and passes the real class path in this property. */
    private static String testClassPath() {
        String cp = System.getProperty("surefire.test.class.path");
        return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
    }

    /** Reads exactly {@link #MESSAGE} bytes, however they arrive, into one buffer. */
    private static Future<Buffer> readLine(ConnectedSocket s) {
        Buffer line = Buffer.allocate(MESSAGE);
        int[] filled = {0};
        return Futures.repeat(() -> s.input().read().map(b -> {
            if (b.isEmpty()) {
                throw new IllegalStateException("end of stream after " + filled[0] + " bytes");
            }
            int n = Math.min(b.length(), MESSAGE - filled[0]);
            java.lang.foreign.MemorySegment.copy(b.segment(), 0, line.segment(), filled[0], n);
            filled[0] += n;
            b.release();
            return filled[0] == MESSAGE;
        })).map(v -> line);
    }
}
