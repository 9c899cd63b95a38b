package io.percore.net.posix;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The client side of {@link ManyConnectionsTest}, run as a child process so that the server's process holds only
 * its own ends of the connections: {@code ManyClients PORT N} opens N connections to 127.0.0.1:PORT (at most 256
 * handshakes at a time) with plain JDK NIO, prints {@code connected N}, waits for a line on stdin, then sends each
 * connection its own 16-byte line, reads the answer to end of stream, and prints {@code ok K} with the number of
 * connections that got their line back. Exits 1 after 60 s without finishing.
 */
public final class ManyClients {
    private ManyClients() {}

    /** What one connection expects back. */
    private static final class Conn {
        final String line;
        final ByteBuffer got = ByteBuffer.allocate(32);

        Conn(String line) {
            this.line = line;
        }
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        int n = Integer.parseInt(args[1]);
        long deadline = System.nanoTime() + 60_000_000_000L;
        InetSocketAddress to = new InetSocketAddress("127.0.0.1", port);
        Selector selector = Selector.open();
        List<SocketChannel> channels = new ArrayList<>(n);
        int started = 0, pending = 0, connected = 0;
        while (connected < n) {
            while (pending < 256 && started < n) {
                SocketChannel ch = SocketChannel.open();
                ch.configureBlocking(false);
                channels.add(ch);
                started++;
                if (ch.connect(to)) {
                    connected++;
                } else {
                    ch.register(selector, SelectionKey.OP_CONNECT);
                    pending++;
                }
            }
            selector.select(1000);
            for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                SelectionKey k = it.next();
                it.remove();
                if (((SocketChannel) k.channel()).finishConnect()) {
                    k.interestOps(0);
                    pending--;
                    connected++;
                }
            }
            if (System.nanoTime() > deadline) {
                System.out.println("timeout connecting: " + connected + " of " + n);
                System.exit(1);
            }
        }
        System.out.println("connected " + connected);
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();

        for (int i = 0; i < n; i++) {
            SocketChannel ch = channels.get(i);
            Conn c = new Conn(String.format("conn-%011d", i));
            ByteBuffer out = ByteBuffer.wrap(c.line.getBytes(StandardCharsets.US_ASCII));
            while (out.hasRemaining()) {
                ch.write(out); // 16 bytes into an empty send buffer: written at once
            }
            SelectionKey k = ch.keyFor(selector);
            if (k == null) {
                ch.register(selector, SelectionKey.OP_READ, c);
            } else {
                k.interestOps(SelectionKey.OP_READ);
                k.attach(c);
            }
        }
        int done = 0, ok = 0;
        while (done < n) {
            selector.select(1000);
            for (Iterator<SelectionKey> it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                SelectionKey k = it.next();
                it.remove();
                Conn c = (Conn) k.attachment();
                SocketChannel ch = (SocketChannel) k.channel();
                int r = ch.read(c.got);
                if (r < 0 || !c.got.hasRemaining()) {
                    String got = new String(c.got.array(), 0, c.got.position(), StandardCharsets.US_ASCII);
                    if (r < 0 && got.equals(c.line)) {
                        ok++;
                    }
                    done++;
                    k.cancel();
                    ch.close();
                }
            }
            if (System.nanoTime() > deadline) {
                System.out.println("timeout serving: " + done + " of " + n + " done, ok " + ok);
                System.exit(1);
            }
        }
        System.out.println("ok " + ok);
        System.out.flush();
        System.exit(0);
    }
}
