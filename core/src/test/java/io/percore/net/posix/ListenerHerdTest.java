package io.percore.net.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Shard;
import io.percore.net.ConnectedSocket;
import io.percore.net.ListenOptions;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Two shards accept from one shared listening socket, both asleep when each connection arrives: a connection must
 * wake one of them, not both. A shard woken for a connection another shard took finds nothing to accept (an
 * "empty" wake-up); with a plain registration every connection makes one, with an exclusive one (epoll's
 * EPOLLEXCLUSIVE, the linux-aio backend's exclusive sleep, io_uring's exclusive accept poll) almost none. The
 * connections are opened one at a time with a pause that lets both shards fall asleep, and held, so the balancer
 * must still split them evenly.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("io.percore.net.posix.IoMode#all")
@Timeout(60)
class ListenerHerdTest extends NetTestBase {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ListenerHerdTest.class);
    private static final int SHARDS = 2;
    private static final int CONNECTIONS = 200;

    @BeforeParameterizedClassInvocation
    static void start(IoMode m) throws Exception {
        startShards(m, SHARDS);
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        stopShards();
    }

    private static final ServerSocket[] servers = new ServerSocket[SHARDS];
    @SuppressWarnings("unchecked")
    private static final List<ConnectedSocket>[] held = new List[SHARDS];
    private static final AtomicIntegerArray accepted = new AtomicIntegerArray(SHARDS);

    @Test
    void aNewConnectionWakesOneSleepingShardAndBalancingStaysEven() throws Exception {
        SocketAddress address = loopback(false);
        for (int shard = 0; shard < SHARDS; shard++) {
            SocketAddress at = address;
            address = on(shard, () -> {
                int me = Shard.currentId();
                ServerSocket s = stack().listen(at, ListenOptions.defaults());
                servers[me] = s;
                held[me] = new ArrayList<>();
                serve(s, c -> {
                    held[me].add(c);
                    accepted.incrementAndGet(me);
                }).ignoreFailure();
                return s.localAddress();
            });
        }
        List<SocketChannel> clients = new ArrayList<>();
        try {
            for (int i = 0; i < CONNECTIONS; i++) {
                clients.add(SocketChannel.open(new InetSocketAddress("127.0.0.1", address.port())));
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (total() < i + 1 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertEquals(i + 1, total(), "connection " + i + " was accepted");
                // Both shards go back to sleep (their idle poll is 0.2 ms) before the next connection.
                Thread.sleep(2);
            }
            long[] wakeups = new long[SHARDS];
            long[] empty = new long[SHARDS];
            for (int shard = 0; shard < SHARDS; shard++) {
                long[] w = on(shard, () -> {
                    PosixServerSocket s = (PosixServerSocket) servers[Shard.currentId()];
                    return new long[] {s.wakeups(), s.emptyWakeups()};
                });
                wakeups[shard] = w[0];
                empty[shard] = w[1];
            }
            int[] counts = {accepted.get(0), accepted.get(1)};
            long totalEmpty = empty[0] + empty[1];
            LOG.info("{}: {} connections one by one over {} sleeping shards: accepted {}, wake-ups {}, empty wake-ups {}",
                    mode, CONNECTIONS, SHARDS, Arrays.toString(counts), Arrays.toString(wakeups), Arrays.toString(empty));
            int even = CONNECTIONS / SHARDS;
            for (int shard = 0; shard < SHARDS; shard++) {
                assertTrue(Math.abs(counts[shard] - even) <= even / 10, "shard " + shard + " got " + counts[shard]
                        + " (even: " + even + " ± 10 %): " + Arrays.toString(counts));
            }
            // A herd costs one empty wake-up per connection (the shard that lost the race); a noisy machine may
            // keep a shard awake through an arrival now and then, which the kernel cannot spare.
            assertTrue(totalEmpty <= CONNECTIONS / 10, "empty wake-ups " + Arrays.toString(empty) + " for "
                    + CONNECTIONS + " connections: the listener wakes every sleeping shard");
        } finally {
            for (SocketChannel c : clients) {
                c.close();
            }
            for (int shard = 0; shard < SHARDS; shard++) {
                on(shard, () -> {
                    int me = Shard.currentId();
                    servers[me].close();
                    for (ConnectedSocket c : held[me]) {
                        await(c.close());
                    }
                    accepted.set(me, 0);
                    return null;
                });
            }
        }
    }

    private static int total() {
        return accepted.get(0) + accepted.get(1);
    }
}
