package io.percore.core.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.Promise;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class GateTest extends ShardTestBase {

    @Test
    void enterAndLeaveCountTheWorkInside() {
        runOnShard(() -> {
            Gate g = new Gate();
            g.enter();
            assertTrue(g.tryEnter());
            assertEquals(2, g.inside());
            g.leave();
            g.leave();
            assertEquals(0, g.inside());
            assertThrows(IllegalStateException.class, g::leave, "leave without enter");
        });
    }

    @Test
    void closeWaitsForEveryPieceOfWorkInside() {
        runOnShard(() -> {
            Gate g = new Gate();
            g.enter();
            g.enter();
            Future<Void> closed = g.close();
            assertTrue(g.isClosed());
            settle();
            assertFalse(closed.isDone());
            g.leave();
            settle();
            assertFalse(closed.isDone(), "one piece of work is still inside");
            g.leave();
            await(closed);
            assertEquals(0, g.inside());
        });
    }

    @Test
    void closingAnEmptyGateIsDoneAtOnce() {
        runOnShard(() -> {
            assertTrue(new Gate().close().isReady());
        });
    }

    @Test
    void aClosedGateRefusesNewWork() {
        runOnShard(() -> {
            Gate g = new Gate();
            await(g.close());
            assertThrows(Gate.ClosedException.class, g::enter);
            assertFalse(g.tryEnter());
            assertEquals(0, g.inside());
            boolean[] ran = new boolean[1];
            Throwable e = failureOf(g.run(() -> {
                ran[0] = true;
                return Future.done();
            }));
            assertInstanceOf(Gate.ClosedException.class, e);
            assertFalse(ran[0], "refused work does not run");
        });
    }

    @Test
    void runLeavesWhateverTheOutcome() {
        runOnShard(() -> {
            Gate g = new Gate();
            assertEquals(7, await(g.run(() -> Future.ready(7))));
            assertEquals(0, g.inside());

            IOException boom = new IOException("boom");
            assertSame(boom, failureOf(g.run(() -> Future.failed(boom))));
            assertEquals(0, g.inside(), "failed work leaves");

            RuntimeException thrown = new RuntimeException("thrown");
            assertSame(thrown, failureOf(g.run(() -> {
                throw thrown;
            })));
            assertEquals(0, g.inside(), "throwing work leaves");

            Promise<Void> slow = new Promise<>();
            Future<Void> running = g.run(() -> slow);
            assertEquals(1, g.inside());
            Future<Void> closed = g.close();
            settle();
            assertFalse(closed.isDone(), "close waits for the running work");
            slow.setException(boom);
            assertSame(boom, failureOf(running));
            await(closed);
        });
    }

    @Test
    void closingTwiceIsAnError() {
        runOnShard(() -> {
            Gate g = new Gate();
            g.close();
            assertThrows(IllegalStateException.class, g::close);
        });
    }
}
