package io.percore.dns;

import io.percore.core.Future;
import io.percore.core.Promise;
import io.percore.core.Reactor;
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
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * A test-only {@link NetworkStack} over the JDK's own sockets, so that the resolver can talk to a real DNS server
 * before percore's POSIX stack exists. Every call that may wait (receive, connect, read) runs on a helper thread
 * and posts its result back to the shard, as {@code Offload} does; sends and writes of a few hundred bytes go out
 * from the shard directly. Not for production: a thread per pending wait.
 */
final class JdkTestStack implements NetworkStack, AutoCloseable {
    private final Reactor reactor = Reactor.current();
    private final ExecutorService helpers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "jdk-test-stack");
        t.setDaemon(true);
        return t;
    });

    JdkTestStack() {
        if (reactor == null) {
            throw new IllegalStateException("make the test stack on the shard that uses it");
        }
    }

    @Override
    public String name() {
        return "jdk-test";
    }

    @Override
    public ServerSocket listen(SocketAddress address, ListenOptions options) {
        throw new UnsupportedOperationException("the DNS tests only send datagrams and connect");
    }

    @Override
    public UdpChannel udpChannel(SocketAddress local) {
        try {
            DatagramChannel ch = DatagramChannel.open(local.isIpv6() ? StandardProtocolFamily.INET6
                    : StandardProtocolFamily.INET);
            ch.bind(new InetSocketAddress(local.ip(), local.port()));
            return new Channel(ch);
        } catch (IOException e) {
            throw new NetException("cannot open a UDP socket", 0, local, e);
        }
    }

    @Override
    public Future<ConnectedSocket> connect(SocketAddress remote) {
        Promise<ConnectedSocket> p = new Promise<>();
        offload(p, () -> {
            SocketChannel sc = SocketChannel.open(new InetSocketAddress(remote.ip(), remote.port()));
            return (Consumer<Promise<ConnectedSocket>>) q -> q.setValue(new Connection(sc, remote));
        }, e -> new NetException.ConnectionRefused(0, remote, e));
        return p;
    }

    @Override
    public void close() {
        helpers.shutdownNow();
    }

    /** A blocking step on a helper thread; what it returns completes the promise on the shard. */
    private interface Blocking<T> {
        Consumer<Promise<T>> run() throws IOException;
    }

    private <T> void offload(Promise<T> p, Blocking<T> step, java.util.function.Function<IOException, NetException> error) {
        helpers.execute(() -> {
            Consumer<Promise<T>> complete;
            try {
                complete = step.run();
            } catch (IOException e) {
                NetException ne = error.apply(e);
                complete = q -> q.setException(ne);
            }
            Consumer<Promise<T>> c = complete;
            try {
                reactor.execute(() -> c.accept(p));
            } catch (RejectedExecutionException shardStopped) {
                // nobody is left to take the result
            }
        });
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

    private final class Channel implements UdpChannel {
        private final DatagramChannel ch;
        private final SocketAddress local;

        Channel(DatagramChannel ch) throws IOException {
            this.ch = ch;
            InetSocketAddress a = (InetSocketAddress) ch.getLocalAddress();
            this.local = new SocketAddress(a.getAddress(), a.getPort());
        }

        @Override
        public Future<Void> send(SocketAddress to, Packet datagram) {
            byte[] bytes = bytesOf(datagram);
            try {
                ch.send(ByteBuffer.wrap(bytes), new InetSocketAddress(to.ip(), to.port()));
                return Future.done();
            } catch (ClosedChannelException e) {
                return Future.failed(new NetException.SocketClosed("send", local));
            } catch (IOException e) {
                return Future.failed(new NetException("send failed", 0, to, e));
            }
        }

        @Override
        public Future<Datagram> receive() {
            Promise<Datagram> p = new Promise<>();
            offload(p, () -> {
                ByteBuffer bb = ByteBuffer.allocate(65535);
                InetSocketAddress from = (InetSocketAddress) ch.receive(bb);
                byte[] bytes = Arrays.copyOf(bb.array(), bb.position());
                SocketAddress sender = new SocketAddress(from.getAddress(), from.getPort());
                // The buffer is allocated on the shard, from its pool.
                return q -> q.setValue(new Datagram(sender, Buffer.copyOf(bytes)));
            }, e -> new NetException.SocketClosed("receive", local));
            return p;
        }

        @Override
        public SocketAddress localAddress() {
            return local;
        }

        @Override
        public void close() {
            try {
                ch.close(); // wakes a blocked receive with AsynchronousCloseException
            } catch (IOException ignored) {
                // closing twice or a close error changes nothing for the test
            }
        }
    }

    private final class Connection implements ConnectedSocket, InputStream, OutputStream {
        private final SocketChannel sc;
        private final SocketAddress remote;

        Connection(SocketChannel sc, SocketAddress remote) {
            this.sc = sc;
            this.remote = remote;
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
            try {
                InetSocketAddress a = (InetSocketAddress) sc.getLocalAddress();
                return new SocketAddress(a.getAddress(), a.getPort());
            } catch (IOException e) {
                throw new NetException("no local address", 0, remote, e);
            }
        }

        @Override
        public SocketAddress remoteAddress() {
            return remote;
        }

        @Override
        public void shutdownInput() {
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
        public Future<Buffer> read() {
            Promise<Buffer> p = new Promise<>();
            offload(p, () -> {
                ByteBuffer bb = ByteBuffer.allocate(4096);
                int n = sc.read(bb);
                byte[] bytes = n <= 0 ? null : Arrays.copyOf(bb.array(), n);
                return q -> q.setValue(bytes == null ? Buffer.empty() : Buffer.copyOf(bytes));
            }, e -> new NetException.SocketClosed("read", remote));
            return p;
        }

        @Override
        public Future<Void> write(Buffer data) {
            return write(Packet.of(data));
        }

        @Override
        public Future<Void> write(Packet data) {
            ByteBuffer bb = ByteBuffer.wrap(bytesOf(data));
            try {
                while (bb.hasRemaining()) {
                    sc.write(bb);
                }
                return Future.done();
            } catch (IOException e) {
                return Future.failed(new NetException.ConnectionReset(0, remote, e));
            }
        }

        @Override
        public Future<Void> flush() {
            return Future.done();
        }

        @Override
        public Future<Void> close() {
            try {
                sc.close();
            } catch (IOException ignored) {
                // as for UDP
            }
            return Future.done();
        }
    }
}
