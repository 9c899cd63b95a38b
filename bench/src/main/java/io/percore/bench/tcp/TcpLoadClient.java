package io.percore.bench.tcp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * The load generator of {@code ./percore bench tcp}, the same for every server: one thread, one NIO selector,
 * {@code N} connections each doing request/response ping-pong with a fixed-size message (the next request leaves
 * when the whole echo of the last has arrived). It runs in its own JVM, pinned by the bench to the CPU the server
 * does not use, and stays up across the phases of one server (warm-up, measured run, traced run) so its JIT is warm.
 *
 * <p>Usage: {@code TcpLoadClient HOST PORT CONNECTIONS SIZE}. It connects (waiting up to a minute for the server
 * to listen), prints {@code ready}, then reads
 * commands from stdin, one a line: {@code run MILLIS} runs the ping-pong for that long and prints
 * {@code result requests=R nanos=T p50us=X p99us=Y} (R responses completed within the T ns; every connection's last
 * request is then awaited, so the server is idle when the line appears); {@code quit} (or end of input) closes
 * the connections and exits. An echo that does not match its request, or a server that closes, ends it with
 * status 1 and a line on stderr.
 *
 * <p>Main thread only.
 */
public final class TcpLoadClient {
    /** One connection: its channel, the request it sends, and how much of the echo has arrived. */
    private static final class Conn {
        final SocketChannel channel;
        final ByteBuffer request;
        final ByteBuffer response;
        long sentAt;
        byte sequence;

        Conn(SocketChannel channel, int size) {
            this.channel = channel;
            this.request = ByteBuffer.allocateDirect(size);
            this.response = ByteBuffer.allocateDirect(size);
        }
    }

    private final Selector selector;
    private final Conn[] conns;
    private final int size;
    private final Histogram latency = new Histogram(1, 60_000_000_000L, 3);
    private boolean running;
    private long completed;
    private int outstanding;

    private TcpLoadClient(String host, int port, int connections, int size) throws IOException {
        this.size = size;
        this.selector = Selector.open();
        this.conns = new Conn[connections];
        InetSocketAddress address = new InetSocketAddress(host, port);
        for (int i = 0; i < connections; i++) {
            SocketChannel ch = connect(address);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.configureBlocking(false);
            conns[i] = new Conn(ch, size);
            for (int b = 0; b < size; b++) {
                conns[i].request.put(b, (byte) (i + b));
            }
            ch.register(selector, SelectionKey.OP_READ, conns[i]);
        }
    }

    /** Connects, retrying for up to a minute while nothing listens yet: the bench starts this with the server. */
    private static SocketChannel connect(InetSocketAddress address) throws IOException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            try {
                return SocketChannel.open(address);
            } catch (java.net.ConnectException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    throw new IOException("interrupted while connecting", ie);
                }
            }
        }
    }

    /** Runs as described in the class comment. */
    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: TcpLoadClient HOST PORT CONNECTIONS SIZE");
            System.exit(2);
        }
        TcpLoadClient client;
        try {
            client = new TcpLoadClient(args[0], Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
        } catch (IOException e) {
            System.err.println("cannot connect: " + e);
            System.exit(1);
            return;
        }
        System.out.println("ready");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        try {
            for (String line; (line = in.readLine()) != null && !line.equals("quit"); ) {
                if (line.startsWith("run ")) {
                    System.out.println(client.run(Long.parseLong(line.substring(4).strip())));
                    System.out.flush();
                }
            }
        } catch (IOException | IllegalStateException e) {
            System.err.println("load client failed: " + e);
            System.exit(1);
        }
        for (Conn c : client.conns) {
            c.channel.close();
        }
        System.exit(0);
    }

    /** One timed run: every connection sends, each echo sends the next request, until the time is up. */
    private String run(long millis) throws IOException {
        latency.reset();
        completed = 0;
        running = true;
        long start = System.nanoTime();
        long end = start + millis * 1_000_000L;
        for (Conn c : conns) {
            send(c, start);
        }
        long now = start;
        while (now < end) {
            selector.select(this::readable, Math.max(1, (end - now) / 1_000_000L));
            now = System.nanoTime();
        }
        running = false;
        long requests = completed;
        long drainEnd = System.nanoTime() + 10_000_000_000L;
        while (outstanding > 0) {
            if (System.nanoTime() > drainEnd) {
                throw new IllegalStateException(outstanding + " echo(es) still missing 10 s after the run");
            }
            selector.select(this::readable, 100);
        }
        return String.format(Locale.ROOT, "result requests=%d nanos=%d p50us=%.2f p99us=%.2f", requests, end - start,
                latency.getValueAtPercentile(50) / 1e3, latency.getValueAtPercentile(99) / 1e3);
    }

    private void send(Conn c, long now) throws IOException {
        c.sequence++;
        c.request.put(0, c.sequence);
        c.request.clear();
        c.response.clear();
        c.sentAt = now;
        while (c.request.hasRemaining()) {
            // An empty socket buffer takes a small request at once; the loop only guards the contract of write.
            c.channel.write(c.request);
        }
        outstanding++;
    }

    private void readable(SelectionKey key) {
        Conn c = (Conn) key.attachment();
        try {
            int n = c.channel.read(c.response);
            if (n < 0) {
                throw new IllegalStateException("the server closed a connection");
            }
            if (c.response.hasRemaining()) {
                return;
            }
            if (c.response.get(0) != c.sequence || c.response.get(size - 1) != c.request.get(size - 1)) {
                throw new IllegalStateException("an echo does not match its request");
            }
            outstanding--;
            long now = System.nanoTime();
            if (running) {
                completed++;
                latency.recordValue(Math.max(1, now - c.sentAt));
                send(c, now);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
