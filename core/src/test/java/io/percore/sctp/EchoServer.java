package io.percore.sctp;

import io.percore.core.Future;
import io.percore.core.Futures;

/** Test echo server: every accepted association sends back each message on its stream with its PPID and flag. */
final class EchoServer {
    private EchoServer() {}

    static void serve(SctpServerSocket listener) {
        Futures.repeat(() -> listener.accept().map(a -> {
            echo(a);
            return false;
        })).ignoreFailure();
    }

    static void echo(SctpAssociation a) {
        Futures.repeat(() -> a.receive().flatMap(e -> {
            if (e instanceof SctpReceivedMessage m) {
                return a.send(new SctpMessage(m.stream(), m.ppid(), m.unordered(), m.payload())).map(v -> false);
            }
            return Future.ready(false);
        })).ignoreFailure();
    }
}
