package io.percore.bench.tcp;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;

/**
 * The Netty peer of {@code ./percore bench tcp}: Netty 4.2's own echo server shape on one event loop thread and a
 * native transport — every buffer read is written back as it is, and one flush ends each batch of reads, so the
 * echoes of a batch leave together. Pooled direct buffers (Netty's default allocator), TCP_NODELAY like percore.
 * Usage: {@code NettyEchoServer PORT epoll|io_uring}; listens on 127.0.0.1 and prints "listening PORT" when ready;
 * runs until killed. Exits with status 3 when the transport is not available here.
 */
public final class NettyEchoServer {
    private NettyEchoServer() {}

    /** Runs until killed. */
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String transport = args.length > 1 ? args[1] : "epoll";
        IoHandlerFactory factory;
        Class<? extends ServerChannel> channel;
        if (transport.equals("io_uring")) {
            if (!IoUring.isAvailable()) {
                System.out.println("unavailable: io_uring: " + IoUring.unavailabilityCause());
                System.exit(3);
            }
            factory = IoUringIoHandler.newFactory();
            channel = IoUringServerSocketChannel.class;
        } else {
            factory = EpollIoHandler.newFactory();
            channel = EpollServerSocketChannel.class;
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, factory);
        Echo echo = new Echo();
        Channel server = new ServerBootstrap().group(group).channel(channel)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(echo)
                .bind("127.0.0.1", port).sync().channel();
        System.out.println("listening " + port + " " + transport);
        server.closeFuture().sync();
    }

    /** Writes back what it reads; flushes once per read batch. Stateless, so one instance serves every channel. */
    @ChannelHandler.Sharable
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg, ctx.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
