package io.percore.bench.http;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The JDK peer of {@code ./percore bench http}: {@code com.sun.net.httpserver.HttpServer} with its default
 * executor (requests run on the dispatcher thread) answering "Hello, World!". Usage: {@code JdkPlaintextServer PORT}.
 */
public final class JdkPlaintextServer {
    private static final byte[] HELLO = "Hello, World!".getBytes(StandardCharsets.US_ASCII);

    private JdkPlaintextServer() {}

    /** Runs until killed. */
    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 8192);
        server.createContext("/", exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.getResponseHeaders().set("Server", "jdk");
            exchange.sendResponseHeaders(200, HELLO.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(HELLO);
            }
        });
        server.start();
        System.out.println("listening " + port);
    }
}
