package io.percore.net.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.percore.net.ListenOptions.Balancing;
import org.junit.jupiter.api.Test;

/** The balancer's decisions and counts, exactly, without threads. */
class ConnectionBalancerTest {
    @Test
    void connectionDistributionPicksTheFewestCountingDecisionsAtOnce() {
        ConnectionBalancer b = new ConnectionBalancer(Balancing.CONNECTION_DISTRIBUTION, 0, 4);
        b.setAcceptors(new int[] {0, 1, 2, 3});
        int[] got = new int[4];
        // One acceptor deciding 400 times in a row (hand-offs not yet arrived anywhere): perfectly even.
        for (int i = 0; i < 400; i++) {
            int t = b.choose(1, 40000 + i);
            b.assigned(1, t);
            got[t]++;
        }
        assertEquals(java.util.List.of(100, 100, 100, 100), java.util.List.of(got[0], got[1], got[2], got[3]));
        // Several acceptors: each sees the others' published decisions.
        for (int i = 0; i < 40; i++) {
            int acceptor = i % 4;
            b.assigned(acceptor, b.choose(acceptor, 1));
        }
        for (int t = 0; t < 4; t++) {
            assertEquals(110, b.live(t));
        }
        // Closes on shard 2 make it the emptiest.
        for (int i = 0; i < 5; i++) {
            b.closed(2);
        }
        assertEquals(105, b.live(2));
        for (int i = 0; i < 5; i++) {
            int t = b.choose(0, 1);
            assertEquals(2, t);
            b.assigned(0, t);
        }
        // A failed hand-off is taken back.
        b.assigned(3, 3);
        b.unassigned(3, 3);
        assertEquals(110, b.live(3));
    }

    @Test
    void tiesStayOnTheAcceptingShard() {
        ConnectionBalancer b = new ConnectionBalancer(Balancing.CONNECTION_DISTRIBUTION, 0, 3);
        b.setAcceptors(new int[] {0, 1, 2});
        assertEquals(1, b.choose(1, 0));
        assertEquals(2, b.choose(2, 0));
    }

    @Test
    void portAndFixedAndNonAcceptingShards() {
        ConnectionBalancer port = new ConnectionBalancer(Balancing.PORT, 0, 3);
        port.setAcceptors(new int[] {0, 1, 2});
        assertEquals(1, port.choose(0, 40000)); // 40000 % 3 == 1
        assertEquals(2, port.choose(0, 40001));
        assertEquals(0, port.choose(2, 40002));
        port.setAcceptors(new int[] {0, 2});
        assertEquals(2, port.choose(0, 40001));
        assertEquals(0, port.choose(0, 40000), "shard 1 does not accept: 40000 % 2 picks the first of {0, 2}");

        ConnectionBalancer fixed = new ConnectionBalancer(Balancing.FIXED, 2, 3);
        fixed.setAcceptors(new int[] {0, 1, 2});
        assertEquals(2, fixed.choose(0, 1));
        fixed.setAcceptors(new int[] {0, 1});
        assertEquals(1, fixed.choose(1, 1), "the named shard stopped accepting: the connection stays where it is");
        fixed.setAcceptors(new int[] {0});
        assertEquals(0, fixed.choose(1, 1));

        ConnectionBalancer none = new ConnectionBalancer(Balancing.CONNECTION_DISTRIBUTION, 0, 3);
        assertEquals(1, none.choose(1, 5), "nobody accepts: the acceptor keeps it (and drops it)");
        none.setAcceptors(new int[] {2});
        assertEquals(2, none.choose(1, 5));
    }
}
