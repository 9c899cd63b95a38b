package io.percore.core.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Async;
import io.percore.core.Future;
import io.percore.core.Futures;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PipeTest extends ShardTestBase {

    @Test
    void aWriterWaitsWhileThePipeIsFullUntilAReadMakesRoom() {
        runOnShard(() -> {
            Pipe<String> p = new Pipe<>(2);
            assertTrue(p.write("a").isReady());
            assertTrue(p.write("b").isReady());
            Future<Void> c = p.write("c");
            settle();
            assertFalse(c.isDone(), "a full pipe holds its writer back");
            assertEquals(2, p.size());
            assertEquals(1, p.pendingWriters());
            assertEquals("a", await(p.read()));
            assertTrue(c.isReady(), "the read made room for the waiting writer");
            assertEquals(2, p.size(), "its item is queued now");
            assertEquals(0, p.pendingWriters());
            assertEquals("b", await(p.read()));
            assertEquals("c", await(p.read()));
            assertEquals(0, p.size());
        });
    }

    @Test
    void tryWriteAndTryReadNeverWait() {
        runOnShard(() -> {
            Pipe<Integer> p = new Pipe<>(1);
            assertNull(p.tryRead());
            assertTrue(p.tryWrite(1));
            assertFalse(p.tryWrite(2), "full");
            assertEquals(1, p.size());
            assertEquals(1, p.tryRead());
            assertTrue(p.tryWrite(3));
            Future<Void> pending = p.write(4);
            assertFalse(p.tryWrite(5), "no jumping over a waiting writer");
            assertEquals(3, p.tryRead());
            assertTrue(pending.isReady());
            assertEquals(4, p.tryRead());
            assertThrows(NullPointerException.class, () -> p.write(null));
            assertThrows(NullPointerException.class, () -> p.tryWrite(null));
        });
    }

    @Test
    void readersWaitForItemsAndAreServedInOrder() {
        runOnShard(() -> {
            Pipe<Integer> p = new Pipe<>(4);
            List<Future<Integer>> reads = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                reads.add(p.read());
            }
            settle();
            assertFalse(reads.get(0).isDone());
            assertEquals(3, p.pendingReaders());
            assertTrue(p.write(10).isReady(), "a waiting reader takes the item at once");
            assertTrue(reads.get(0).isDone());
            assertFalse(reads.get(1).isDone());
            assertEquals(0, p.size(), "handed over, not queued");
            p.write(11);
            p.write(12);
            assertEquals(List.of(10, 11, 12), await(Futures.whenAll(reads)));
        });
    }

    @Test
    void itemsAndWaitingWritersKeepTheirOrder() {
        runOnShard(() -> {
            Pipe<Integer> p = new Pipe<>(2);
            List<Future<Void>> writes = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                writes.add(p.write(i));
            }
            assertEquals(4, p.pendingWriters());
            for (int i = 0; i < 6; i++) {
                assertEquals(i, await(p.read()));
                for (int w = 0; w < 6; w++) {
                    assertEquals(w < i + 3, writes.get(w).isDone(), "write " + w + " after read " + i);
                }
            }
        });
    }

    @Test
    void closeEndsTheStreamAfterTheQueuedItems() {
        runOnShard(() -> {
            Pipe<String> p = new Pipe<>(2);
            p.write("a");
            p.write("b");
            Future<Void> pending = p.write("c");
            p.close();
            p.close();
            assertTrue(p.isClosed());
            assertInstanceOf(Pipe.ClosedException.class, failureOf(p.write("late")));
            assertThrows(Pipe.ClosedException.class, () -> p.tryWrite("late"));
            assertFalse(p.isEndOfStream());
            assertEquals("a", await(p.read()));
            assertEquals("b", await(p.read()));
            assertEquals("c", await(p.read()), "a write pending at close is part of the stream");
            assertTrue(pending.isReady());
            assertTrue(p.isEndOfStream());
            assertNull(await(p.read()));
            assertNull(await(p.read()), "end of stream stays");
        });
    }

    @Test
    void readersWaitingAtCloseSeeEndOfStream() {
        runOnShard(() -> {
            Pipe<String> p = new Pipe<>(2);
            Future<String> r1 = p.read();
            Future<String> r2 = p.read();
            p.close();
            assertTrue(r1.isReady());
            assertNull(await(r1));
            assertNull(await(r2));
            assertEquals(0, p.pendingReaders());
        });
    }

    @Test
    void abortFailsEveryWaiterNowAndLaterCalls() {
        runOnShard(() -> {
            IOException boom = new IOException("boom");
            Pipe<Integer> readers = new Pipe<>(1);
            Future<Integer> r1 = readers.read();
            Future<Integer> r2 = readers.read();
            readers.abort(boom);
            assertSame(boom, failureOf(r1));
            assertSame(boom, failureOf(r2));

            Pipe<Integer> writers = new Pipe<>(1);
            writers.write(1);
            Future<Void> w1 = writers.write(2);
            Future<Void> w2 = writers.write(3);
            writers.abort(boom);
            writers.abort(new IOException("second"));
            assertTrue(writers.isAborted());
            assertSame(boom, failureOf(w1));
            assertSame(boom, failureOf(w2));
            assertEquals(0, writers.size(), "queued items are dropped");
            assertSame(boom, failureOf(writers.read()), "not end of stream: the abort error");
            assertSame(boom, failureOf(writers.write(4)));
            assertSame(boom, assertThrows(IllegalStateException.class, () -> writers.tryWrite(5)).getCause());
            assertSame(boom, assertThrows(IllegalStateException.class, writers::tryRead).getCause());
            writers.close();
            assertSame(boom, failureOf(writers.read()), "close after abort changes nothing");
        });
    }

    @Test
    void capacityZeroHandsEachItemFromWriterToReader() {
        runOnShard(() -> {
            Pipe<String> p = new Pipe<>(0);
            assertFalse(p.tryWrite("x"), "nobody reads");
            Future<Void> w = p.write("x");
            settle();
            assertFalse(w.isDone(), "a rendezvous write waits for its reader");
            assertEquals("x", await(p.read()));
            assertTrue(w.isReady());
            Future<String> r = p.read();
            assertFalse(r.isDone());
            assertTrue(p.tryWrite("y"), "a waiting reader takes it");
            assertEquals("y", await(r));
            Future<Void> last = p.write("z");
            p.close();
            assertEquals("z", await(p.read()));
            assertTrue(last.isReady());
            assertNull(await(p.read()));
        });
    }

    @Test
    void manyProducersAndConsumersOnOneShardMoveEveryItemOnce() {
        int producers = 8;
        int consumers = 5;
        int perProducer = 2_000;
        int capacity = 4;
        long[] result = onShard(() -> {
            Pipe<Long> p = new Pipe<>(capacity);
            int[] maxSize = new int[1];
            int[] maxPendingWriters = new int[1];
            List<Future<Void>> writers = new ArrayList<>();
            for (int w = 0; w < producers; w++) {
                long base = (long) w << 32;
                writers.add(Async.run(() -> {
                    for (int i = 0; i < perProducer; i++) {
                        Async.await(p.write(base + i));
                        maxPendingWriters[0] = Math.max(maxPendingWriters[0], p.pendingWriters());
                    }
                    return null;
                }));
            }
            List<Future<long[]>> readers = new ArrayList<>();
            for (int r = 0; r < consumers; r++) {
                readers.add(Async.run(() -> {
                    long count = 0;
                    long sum = 0;
                    long[] lastSeen = new long[producers];
                    java.util.Arrays.fill(lastSeen, -1);
                    Long item;
                    while ((item = Async.await(p.read())) != null) {
                        maxSize[0] = Math.max(maxSize[0], p.size());
                        int producer = (int) (item >>> 32);
                        long seq = item & 0xffff_ffffL;
                        if (seq <= lastSeen[producer]) {
                            throw new AssertionError("producer " + producer + " item " + seq + " after "
                                    + lastSeen[producer]);
                        }
                        lastSeen[producer] = seq;
                        count++;
                        sum += seq;
                    }
                    return new long[] {count, sum};
                }));
            }
            await(Futures.whenAll(writers));
            p.close();
            long count = 0;
            long sum = 0;
            int busyReaders = 0;
            for (long[] r : await(Futures.whenAll(readers))) {
                count += r[0];
                sum += r[1];
                busyReaders += r[0] > 0 ? 1 : 0;
            }
            assertTrue(maxSize[0] <= capacity, "queued " + maxSize[0] + " items in a pipe of " + capacity);
            assertTrue(maxPendingWriters[0] > 0, "producers outpaced consumers, so some had to wait");
            return new long[] {count, sum, busyReaders};
        });
        assertEquals((long) producers * perProducer, result[0], "every item read exactly once");
        assertEquals((long) producers * perProducer * (perProducer - 1) / 2, result[1]);
        assertTrue(result[2] > 1, "the work was shared between consumers: " + result[2]);
    }
}
