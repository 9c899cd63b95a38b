package io.percore.bench.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The Netty peer of {@code ./percore bench http}, built the way TechEmpower's Netty entry is: one event loop
 * thread on a native transport, {@link HttpServerCodec}, a handler that answers every request with a full
 * "Hello, World!" response made from constant header values (the Date value refreshed once a second on the event
 * loop), written without flushing, and one flush when the reads of a batch are done — so pipelined responses leave
 * together. Usage: {@code NettyPlaintextServer PORT epoll|io_uring|nio}; prints "listening PORT" when ready.
 */
public final class NettyPlaintextServer {
    private static final byte[] HELLO = "Hello, World!".getBytes(StandardCharsets.US_ASCII);
    private static final AsciiString TEXT_PLAIN = AsciiString.cached("text/plain");
    private static final AsciiString SERVER = AsciiString.cached("netty");
    private static final AsciiString LENGTH = AsciiString.cached(Integer.toString(HELLO.length));
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);

    /** Written by the event loop's timer, read by the same event loop: one thread. */
    private static AsciiString date = now();

    private NettyPlaintextServer() {}

    private static AsciiString now() {
        return new AsciiString(HTTP_DATE.format(ZonedDateTime.now(ZoneOffset.UTC)));
    }

    /** Runs until killed. */
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String transport = args.length > 1 ? args[1] : "epoll";
        IoHandlerFactory factory;
        Class<? extends ServerChannel> channel;
        switch (transport) {
            case "epoll" -> {
                factory = EpollIoHandler.newFactory();
                channel = EpollServerSocketChannel.class;
            }
            case "io_uring" -> {
                if (!IoUring.isAvailable()) {
                    System.out.println("unavailable: io_uring: " + IoUring.unavailabilityCause());
                    System.exit(3);
                }
                factory = IoUringIoHandler.newFactory();
                channel = IoUringServerSocketChannel.class;
            }
            default -> {
                factory = NioIoHandler.newFactory();
                channel = NioServerSocketChannel.class;
            }
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, factory);
        ByteBuf body = Unpooled.unreleasableBuffer(Unpooled.directBuffer(HELLO.length).writeBytes(HELLO)).asReadOnly();
        Channel server = new ServerBootstrap().group(group).channel(channel)
                .option(ChannelOption.SO_BACKLOG, 8192)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(4096, 8192, 8192, false), new Hello(body));
                    }
                })
                .bind("127.0.0.1", port).sync().channel();
        group.next().scheduleAtFixedRate(() -> date = now(), 1, 1, TimeUnit.SECONDS);
        System.out.println("listening " + port + " " + transport);
        server.closeFuture().sync();
    }

    /** Answers every request with the constant response. */
    private static final class Hello extends ChannelInboundHandlerAdapter {
        private final ByteBuf body;

        Hello(ByteBuf body) {
            this.body = body;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest) {
                    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                            body.duplicate(), false);
                    HttpHeaders h = response.headers();
                    h.set(HttpHeaderNames.CONTENT_TYPE, TEXT_PLAIN);
                    h.set(HttpHeaderNames.SERVER, SERVER);
                    h.set(HttpHeaderNames.DATE, date);
                    h.set(HttpHeaderNames.CONTENT_LENGTH, LENGTH);
                    ctx.write(response, ctx.voidPromise());
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
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
