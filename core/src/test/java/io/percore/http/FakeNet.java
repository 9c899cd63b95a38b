package io.percore.http;

import io.percore.core.Future;
import io.percore.core.Promise;
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
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A test-only network inside one shard: listen and connect pair up in-memory sockets. Each direction is a bounded
 * byte queue (writes wait while it holds more than {@link #queueLimit} bytes, as a real send queue does), and reads
 * can be cut into pieces of at most {@link #readPiece} bytes — down to one byte, which exercises every parser on
 * split input. Shard thread only.
 */
public final class FakeNet implements NetworkStack {
    private final Map<Integer, Listener> listeners = new HashMap<>();
    private int nextPort = 40000;
    /** Largest piece a read returns; Integer.MAX_VALUE for whole writes. */
    public int readPiece = Integer.MAX_VALUE;
    public int queueLimit = 256 << 10;
    int connectionsMade;

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public ServerSocket listen(SocketAddress address, ListenOptions options) {
        int port = address.port() == 0 ? nextPort++ : address.port();
        if (listeners.containsKey(port)) {
            throw new NetException.AddressInUse(98, address, null);
        }
        Listener l = new Listener(address.withPort(port));
        listeners.put(port, l);
        return l;
    }

    @Override
    public Future<ConnectedSocket> connect(SocketAddress remote) {
        Listener l = listeners.get(remote.port());
        if (l == null || l.closed) {
            return Future.failed(new NetException.ConnectionRefused(111, remote, null));
        }
        connectionsMade++;
        SocketAddress clientAddress = SocketAddress.of("127.0.0.1", nextPort++);
        Pipe up = new Pipe();
        Pipe down = new Pipe();
        Sock client = new Sock(down, up, clientAddress, remote);
        Sock server = new Sock(up, down, remote, clientAddress);
        l.offer(new ServerSocket.AcceptResult(server, clientAddress));
        return Future.ready(client);
    }

    @Override
    public UdpChannel udpChannel(SocketAddress local) {
        throw new UnsupportedOperationException("no UDP in the HTTP tests' network");
    }

    private final class Listener implements ServerSocket {
        private final SocketAddress address;
        private final ArrayDeque<AcceptResult> backlog = new ArrayDeque<>();
        private Promise<AcceptResult> waiting;
        private boolean closed;

        Listener(SocketAddress address) {
            this.address = address;
        }

        void offer(AcceptResult r) {
            if (waiting != null) {
                Promise<AcceptResult> p = waiting;
                waiting = null;
                p.setValue(r);
            } else {
                backlog.add(r);
            }
        }

        @Override
        public Future<AcceptResult> accept() {
            if (closed) {
                return Future.failed(new NetException.AcceptAborted(address));
            }
            AcceptResult r = backlog.poll();
            if (r != null) {
                return Future.ready(r);
            }
            waiting = new Promise<>();
            return waiting;
        }

        @Override
        public void abortAccept() {
            closed = true;
            if (waiting != null) {
                Promise<AcceptResult> p = waiting;
                waiting = null;
                p.setException(new NetException.AcceptAborted(address));
            }
        }

        @Override
        public SocketAddress localAddress() {
            return address;
        }

        @Override
        public void close() {
            abortAccept();
            listeners.remove(address.port());
        }
    }

    /** One direction: bytes written by one side, read by the other. */
    final class Pipe {
        private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
        private long queued;
        private boolean fin;
        private boolean readerGone;
        private Promise<Buffer> reader;
        private final ArrayDeque<Promise<Void>> writers = new ArrayDeque<>();

        Future<Void> write(Buffer b) {
            if (readerGone) {
                b.release();
                return Future.done();
            }
            if (b.isEmpty()) {
                b.release();
                return Future.done();
            }
            queued += b.length();
            queue.add(b);
            deliver();
            if (queued <= queueLimit) {
                return Future.done();
            }
            Promise<Void> p = new Promise<>();
            writers.add(p);
            return p;
        }

        void finish() {
            fin = true;
            deliver();
        }

        Future<Buffer> read() {
            if (reader != null) {
                throw new IllegalStateException("two reads pending");
            }
            Buffer b = take();
            if (b != null) {
                return Future.ready(b);
            }
            if (fin || readerGone) {
                return Future.ready(Buffer.empty());
            }
            reader = new Promise<>();
            return reader;
        }

        private Buffer take() {
            Buffer head = queue.peek();
            if (head == null) {
                return null;
            }
            Buffer piece;
            if (head.length() <= readPiece) {
                queue.poll();
                piece = head;
            } else {
                piece = head.share(0, readPiece);
                head.trimFront(readPiece);
            }
            queued -= piece.length();
            while (queued <= queueLimit && !writers.isEmpty()) {
                writers.poll().setValue(null);
            }
            return piece;
        }

        private void deliver() {
            if (reader == null) {
                return;
            }
            Buffer b = take();
            if (b == null && !fin && !readerGone) {
                return;
            }
            Promise<Buffer> p = reader;
            reader = null;
            p.setValue(b == null ? Buffer.empty() : b);
        }

        /** The reading side shut down or closed: pending and later reads see the end; data is dropped. */
        void readerGone() {
            readerGone = true;
            while (!queue.isEmpty()) {
                queue.poll().release();
            }
            queued = 0;
            while (!writers.isEmpty()) {
                writers.poll().setValue(null);
            }
            deliver();
        }
    }

    final class Sock implements ConnectedSocket {
        private final Pipe incoming;
        private final Pipe outgoing;
        private final SocketAddress local;
        private final SocketAddress remote;
        private boolean outputClosed;
        boolean closed;
        private final InputStream in = new InputStream() {
            @Override
            public Future<Buffer> read() {
                if (closed) {
                    return Future.failed(new NetException.SocketClosed("read", remote));
                }
                return incoming.read();
            }

            @Override
            public Future<Void> close() {
                shutdownInput();
                return Future.done();
            }
        };
        private final OutputStream out = new OutputStream() {
            @Override
            public Future<Void> write(Buffer data) {
                if (closed || outputClosed) {
                    data.release();
                    return Future.failed(new NetException.SocketClosed("write", remote));
                }
                return outgoing.write(data);
            }

            @Override
            public Future<Void> write(Packet data) {
                if (closed || outputClosed) {
                    data.release();
                    return Future.failed(new NetException.SocketClosed("write", remote));
                }
                Buffer whole = data.linearize();
                data.release();
                return outgoing.write(whole);
            }

            @Override
            public Future<Void> flush() {
                return Future.done();
            }

            @Override
            public Future<Void> close() {
                shutdownOutput();
                return Future.done();
            }
        };

        Sock(Pipe incoming, Pipe outgoing, SocketAddress local, SocketAddress remote) {
            this.incoming = incoming;
            this.outgoing = outgoing;
            this.local = local;
            this.remote = remote;
        }

        @Override
        public InputStream input() {
            return in;
        }

        @Override
        public OutputStream output() {
            return out;
        }

        @Override
        public SocketAddress localAddress() {
            return local;
        }

        @Override
        public SocketAddress remoteAddress() {
            return remote;
        }

        @Override
        public void shutdownInput() {
            incoming.readerGone();
        }

        @Override
        public void shutdownOutput() {
            if (!outputClosed) {
                outputClosed = true;
                outgoing.finish();
            }
        }

        @Override
        public void setNoDelay(boolean on) {}

        @Override
        public void setKeepAlive(KeepAlive keepAlive) {}

        @Override
        public Future<Void> close() {
            if (!closed) {
                closed = true;
                incoming.readerGone();
                outgoing.finish();
            }
            return Future.done();
        }
    }
}
