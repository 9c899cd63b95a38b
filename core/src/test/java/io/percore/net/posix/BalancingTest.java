package io.percore.net.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.net.ConnectedSocket;
import io.percore.net.ListenOptions;
import io.percore.net.ListenOptions.Balancing;
import io.percore.net.ServerSocket;
import io.percore.net.SocketAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Connection balancing over three shards, with real loopback connects from a plain JDK client thread: the
 * distribution each policy gives, and that a shard which does not listen gets nothing.
 */
@ParameterizedClass(name = "{0}")
@MethodSource("io.percore.net.posix.IoMode#all")
@Timeout(60)
class BalancingTest extends NetTestBase {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BalancingTest.class);
    static final int SHARDS = 3;

    @BeforeParameterizedClassInvocation
    static void start(IoMode m) throws Exception {
        startShards(m, SHARDS);
    }

    @AfterParameterizedClassInvocation
    static void stop() {
        stopShards();
    }

    /** Per shard: its server socket and the connections it accepted (touched by that shard only). */
    private static final ServerSocket[] servers = new ServerSocket[SHARDS];
    @SuppressWarnings("unchecked")
    private static final List<ConnectedSocket>[] held = new List[SHARDS];
    private static final AtomicIntegerArray accepted = new AtomicIntegerArray(SHARDS);
    /** Per shard, the peer ports it accepted; read after the shards are quiet. */
    @SuppressWarnings("unchecked")
    private static final List<Integer>[] ports = new List[SHARDS];
    private final List<SocketChannel> clients = new ArrayList<>();

    /** Listens on {@code shards} (the first picks the port), each accepting and holding its connections. */
    private static SocketAddress listenOn(ListenOptions options, int... shards) throws Exception {
        SocketAddress address = loopback(false);
        for (int shard : shards) {
            SocketAddress at = address;
            address = on(shard, () -> {
                int me = io.percore.core.Shard.currentId();
                ServerSocket s = stack().listen(at, options);
                servers[me] = s;
                held[me] = new ArrayList<>();
                ports[me] = new java.util.concurrent.CopyOnWriteArrayList<>();
                serve(s, c -> {
                    held[me].add(c);
                    ports[me].add(c.remoteAddress().port());
                    accepted.incrementAndGet(me);
                }).ignoreFailure();
                return s.localAddress();
            });
        }
        return address;
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (SocketChannel c : clients) {
            c.close();
        }
        for (int i = 0; i < SHARDS; i++) {
            on(i, () -> {
                int me = io.percore.core.Shard.currentId();
                if (servers[me] != null) {
                    servers[me].close();
                    servers[me] = null;
                }
                if (held[me] != null) {
                    for (ConnectedSocket c : held[me]) {
                        await(c.close());
                    }
                    held[me] = null;
                }
                accepted.set(me, 0);
                return null;
            });
        }
    }

    /** Opens {@code n} connections from this (non-shard) thread, then waits until the shards took them all. */
    private int[] connect(SocketAddress to, int n) throws Exception {
        int before = total();
        for (int i = 0; i < n; i++) {
            clients.add(SocketChannel.open(new InetSocketAddress("127.0.0.1", to.port())));
        }
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (total() < before + n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(before + n, total(), "every connection was accepted by some shard");
        return counts();
    }

    private static int total() {
        int t = 0;
        for (int i = 0; i < SHARDS; i++) {
            t += accepted.get(i);
        }
        return t;
    }

    private static int[] counts() {
        int[] c = new int[SHARDS];
        for (int i = 0; i < SHARDS; i++) {
            c[i] = accepted.get(i);
        }
        return c;
    }

    @Test
    void connectionDistributionStaysEvenUnderABurstAndRefillsTheEmptiestShard() throws Exception {
        SocketAddress address = listenOn(ListenOptions.defaults(), 0, 1, 2);
        int burst = 999;
        int[] c = connect(address, burst);
        LOG.info("{}: a burst of {} connections over {} shards: {}", mode, burst, SHARDS, Arrays.toString(c));
        for (int i = 0; i < SHARDS; i++) {
            int even = burst / SHARDS;
            assertTrue(Math.abs(c[i] - even) <= even / 10, "shard " + i + " got " + c[i] + " of " + burst
                    + " (even: " + even + " ± 10 %): " + Arrays.toString(c));
        }
        // Shard 2 closes 60 of its connections: the next 60 go there.
        on(2, () -> {
            List<ConnectedSocket> mine = held[2];
            for (int i = 0; i < 60; i++) {
                await(mine.remove(mine.size() - 1).close());
            }
            return null;
        });
        int[] after = connect(address, 60);
        assertTrue(after[2] - c[2] >= 57, "the emptiest shard takes the new connections: before "
                + Arrays.toString(c) + ", after " + Arrays.toString(after));
    }

    @Test
    void portPolicySendsEachConnectionToItsSourcePortModuloShards() throws Exception {
        SocketAddress address = listenOn(ListenOptions.defaults().withBalancing(Balancing.PORT), 0, 1, 2);
        int[] c = connect(address, 90);
        for (int i = 0; i < SHARDS; i++) {
            for (int port : ports[i]) {
                assertEquals(i, port % SHARDS, "port " + port + " landed on shard " + i);
            }
        }
        assertEquals(90, c[0] + c[1] + c[2]);
    }

    @Test
    void fixedPolicySendsEverythingToTheNamedShard() throws Exception {
        SocketAddress address = listenOn(ListenOptions.defaults().withFixedShard(1), 0, 1, 2);
        int[] c = connect(address, 40);
        assertEquals(List.of(0, 40, 0), List.of(c[0], c[1], c[2]));
    }

    @Test
    void aShardThatDoesNotListenGetsNothing() throws Exception {
        SocketAddress address = listenOn(ListenOptions.defaults(), 0, 1);
        int[] c = connect(address, 100);
        assertEquals(0, c[2]);
        assertEquals(List.of(50, 50), List.of(c[0], c[1]), Arrays.toString(c));
        closeEverything();
        SocketAddress byPort = listenOn(ListenOptions.defaults().withBalancing(Balancing.PORT), 0, 1);
        int[] p = connect(byPort, 60);
        assertEquals(0, p[2], "ports ≡ 2 (mod 3) are spread over the listening shards instead");
        assertEquals(60, p[0] + p[1]);
    }

    @Test
    void everyShardMustListenWithTheSameOptions() throws Exception {
        SocketAddress address = listenOn(ListenOptions.defaults(), 0);
        on(1, () -> {
            assertThrows(IllegalArgumentException.class,
                    () -> stack().listen(address, ListenOptions.defaults().withBalancing(Balancing.PORT)));
            assertThrows(IllegalArgumentException.class,
                    () -> stack().listen(loopback(false), ListenOptions.defaults().withFixedShard(SHARDS)));
            return Future.done();
        });
    }
}
