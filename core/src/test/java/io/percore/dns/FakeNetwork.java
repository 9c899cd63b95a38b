package io.percore.dns;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Timer;
import io.percore.memory.Buffer;
import io.percore.memory.Packet;
import io.percore.net.ConnectedSocket;
import io.percore.net.InputStream;
import io.percore.net.ListenOptions;
import io.percore.net.NetException;
import io.percore.net.NetworkStack;
import io.percore.net.OutputStream;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import io.percore.net.UdpChannel;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A test-only {@link NetworkStack} of one shard: datagrams and TCP connections go to scripted DNS servers held in
 * memory, which answer with whatever bytes the test wants (forged ids, loops, cuts, TC, silence, delays).
 * Everything is delivered asynchronously through the shard's timers, as a real network would. It counts the
 * sockets it opened and those still open, so tests can check the resolver closes what it opens.
 */
final class FakeNetwork implements NetworkStack {
    /** What a server does with one query: the replies to send back (none: silence). */
    @FunctionalInterface
    interface Script {
        List<Reply> answer(DnsMessage query, boolean overTcp);
    }

    /**
     * One reply: bytes sent after {@code delay}, from {@code from} (null: the server itself). Over TCP the bytes
     * are length-prefixed unless {@code raw}; {@code closeConnection} ends the stream instead.
     */
    record Reply(byte[] bytes, Duration delay, SocketAddress from, boolean raw, boolean closeConnection) {
        static Reply of(DnsMessage m) {
            return new Reply(m.encode(), Duration.ZERO, null, false, false);
        }

        static Reply bytes(byte[] b) {
            return new Reply(b, Duration.ZERO, null, false, false);
        }

        static Reply rawTcp(byte[] b) {
            return new Reply(b, Duration.ZERO, null, true, false);
        }

        static Reply close() {
            return new Reply(new byte[0], Duration.ZERO, null, false, true);
        }

        Reply after(Duration d) {
            return new Reply(bytes, d, from, raw, closeConnection);
        }

        Reply from(SocketAddress sender) {
            return new Reply(bytes, delay, sender, raw, closeConnection);
        }
    }

    /** A DNS server at one address; it records the queries it got. */
    static final class Server {
        final SocketAddress address;
        Script script;
        boolean acceptsTcp = true;
        /** Over TCP, replies are cut into reads of this many bytes, to exercise reassembly. */
        int tcpChunk = 3;
        final List<DnsMessage> udpQueries = new ArrayList<>();
        final List<DnsMessage> tcpQueries = new ArrayList<>();

        Server(SocketAddress address, Script script) {
            this.address = address;
            this.script = script;
        }

        int queries() {
            return udpQueries.size() + tcpQueries.size();
        }

        List<DnsMessage> allQueries() {
            List<DnsMessage> all = new ArrayList<>(udpQueries);
            all.addAll(tcpQueries);
            return all;
        }
    }

    private final Map<SocketAddress, Server> servers = new HashMap<>();
    private int nextPort = 40000;
    int channelsOpened;
    int channelsOpen;
    int connectionsOpened;
    int connectionsOpen;

    /** Adds a server at {@code literal}:53. */
    Server server(String literal, Script script) {
        Server s = new Server(SocketAddress.of(literal, 53), script);
        servers.put(s.address, s);
        return s;
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public ServerSocket listen(SocketAddress address, ListenOptions options) {
        throw new UnsupportedOperationException("the DNS tests' network only sends datagrams and connects");
    }

    @Override
    public UdpChannel udpChannel(SocketAddress local) {
        channelsOpened++;
        channelsOpen++;
        return new Channel(local.withPort(nextPort++));
    }

    @Override
    public Future<ConnectedSocket> connect(SocketAddress remote) {
        Server s = servers.get(remote);
        Promise<ConnectedSocket> p = new Promise<>();
        later(Duration.ZERO, () -> {
            if (s == null || !s.acceptsTcp) {
                p.setException(new NetException.ConnectionRefused(111, remote, null));
            } else {
                connectionsOpened++;
                connectionsOpen++;
                p.setValue(new Connection(s, SocketAddress.of("127.0.0.1", nextPort++)));
            }
        });
        return p;
    }

    private static void later(Duration delay, Runnable action) {
        new Timer(action).arm(delay);
    }

    private static byte[] bytesOf(Packet packet) {
        Buffer all = packet.linearize();
        try {
            return all.toArray();
        } finally {
            all.release();
            packet.release();
        }
    }

    /** A UDP socket: sends go to the server at the address, replies come back through the queue. */
    private final class Channel implements UdpChannel {
        private final SocketAddress local;
        private final ArrayDeque<Datagram> queue = new ArrayDeque<>();
        private Promise<Datagram> waiting;
        private boolean closed;

        Channel(SocketAddress local) {
            this.local = local;
        }

        @Override
        public Future<Void> send(SocketAddress to, Packet datagram) {
            byte[] bytes = bytesOf(datagram);
            if (closed) {
                return Future.failed(new NetException.SocketClosed("send", local));
            }
            Server s = servers.get(to);
            if (s == null) {
                return Future.done(); // nobody listens there: UDP says nothing
            }
            DnsMessage query = DnsMessage.decode(bytes);
            s.udpQueries.add(query);
            for (Reply r : s.script.answer(query, false)) {
                SocketAddress from = r.from() != null ? r.from() : s.address;
                later(r.delay(), () -> deliver(new Datagram(from, Buffer.copyOf(r.bytes()))));
            }
            return Future.done();
        }

        private void deliver(Datagram d) {
            if (closed) {
                d.data().release();
            } else if (waiting != null) {
                Promise<Datagram> w = waiting;
                waiting = null;
                w.setValue(d);
            } else {
                queue.add(d);
            }
        }

        @Override
        public Future<Datagram> receive() {
            if (closed) {
                return Future.failed(new NetException.SocketClosed("receive", local));
            }
            if (!queue.isEmpty()) {
                return Future.ready(queue.poll());
            }
            if (waiting != null) {
                throw new IllegalStateException("two receives pending on one channel");
            }
            waiting = new Promise<>();
            return waiting;
        }

        @Override
        public SocketAddress localAddress() {
            return local;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            channelsOpen--;
            for (Datagram d : queue) {
                d.data().release();
            }
            queue.clear();
            if (waiting != null) {
                Promise<Datagram> w = waiting;
                waiting = null;
                w.setException(new NetException.SocketClosed("receive", local));
            }
        }
    }

    /** A TCP connection to a server: writes are parsed as length-prefixed queries, replies read back in chunks. */
    private final class Connection implements ConnectedSocket, InputStream, OutputStream {
        private final Server server;
        private final SocketAddress local;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private final ArrayDeque<Buffer> readable = new ArrayDeque<>();
        private boolean eof;
        private boolean closed;
        private Promise<Buffer> waiting;

        Connection(Server server, SocketAddress local) {
            this.server = server;
            this.local = local;
        }

        @Override
        public InputStream input() {
            return this;
        }

        @Override
        public OutputStream output() {
            return this;
        }

        @Override
        public SocketAddress localAddress() {
            return local;
        }

        @Override
        public SocketAddress remoteAddress() {
            return server.address;
        }

        @Override
        public void shutdownInput() {
            eof = true;
        }

        @Override
        public void shutdownOutput() {
        }

        @Override
        public void setNoDelay(boolean on) {
        }

        @Override
        public void setKeepAlive(KeepAlive keepAlive) {
        }

        @Override
        public Future<Void> write(Buffer data) {
            return write(Packet.of(data));
        }

        @Override
        public Future<Void> write(Packet data) {
            byte[] bytes = bytesOf(data);
            if (closed) {
                return Future.failed(new NetException.SocketClosed("write", local));
            }
            received.writeBytes(bytes);
            byte[] all = received.toByteArray();
            int used = 0;
            while (all.length - used >= 2) {
                int len = ((all[used] & 0xFF) << 8) | (all[used + 1] & 0xFF);
                if (all.length - used - 2 < len) {
                    break;
                }
                DnsMessage query = DnsMessage.decode(Arrays.copyOfRange(all, used + 2, used + 2 + len));
                used += 2 + len;
                server.tcpQueries.add(query);
                for (Reply r : server.script.answer(query, true)) {
                    later(r.delay(), () -> sendBack(r));
                }
            }
            received.reset();
            received.write(all, used, all.length - used);
            return Future.done();
        }

        private void sendBack(Reply r) {
            if (closed) {
                return;
            }
            if (r.closeConnection()) {
                eof = true;
                wake();
                return;
            }
            byte[] b = r.bytes();
            byte[] framed = b;
            if (!r.raw()) {
                framed = new byte[b.length + 2];
                framed[0] = (byte) (b.length >>> 8);
                framed[1] = (byte) b.length;
                System.arraycopy(b, 0, framed, 2, b.length);
            }
            for (int i = 0; i < framed.length; i += server.tcpChunk) {
                readable.add(Buffer.copyOf(Arrays.copyOfRange(framed, i, Math.min(framed.length, i + server.tcpChunk))));
            }
            wake();
        }

        private void wake() {
            if (waiting != null && (!readable.isEmpty() || eof)) {
                Promise<Buffer> w = waiting;
                waiting = null;
                w.setValue(readable.isEmpty() ? Buffer.empty() : readable.poll());
            }
        }

        @Override
        public Future<Buffer> read() {
            if (closed) {
                return Future.failed(new NetException.SocketClosed("read", local));
            }
            if (!readable.isEmpty()) {
                return Future.ready(readable.poll());
            }
            if (eof) {
                return Future.ready(Buffer.empty());
            }
            if (waiting != null) {
                throw new IllegalStateException("two reads pending on one connection");
            }
            waiting = new Promise<>();
            return waiting;
        }

        @Override
        public Future<Void> flush() {
            return closed ? Future.failed(new NetException.SocketClosed("flush", local)) : Future.done();
        }

        @Override
        public Future<Void> close() {
            if (!closed) {
                closed = true;
                connectionsOpen--;
                for (Buffer b : readable) {
                    b.release();
                }
                readable.clear();
                if (waiting != null) {
                    Promise<Buffer> w = waiting;
                    waiting = null;
                    w.setException(new NetException.SocketClosed("read", local));
                }
            }
            return Future.done();
        }
    }
}
