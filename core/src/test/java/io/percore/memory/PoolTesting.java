package io.percore.memory;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicReference;

/** Helpers shared by the memory tests. */
final class PoolTesting {
    private PoolTesting() {}

    static final long KIB = 1 << 10;
    static final long MIB = 1 << 20;

    /** Fails unless the JVM runs with -ea: the owner checks are assertions. */
    static void requireAssertions() {
        boolean enabled = false;
        assert enabled = true;
        assertTrue(enabled, "memory tests must run with -ea (surefire's argLine sets it)");
    }

    /** Runs {@code body} on a new thread, waits for it, and returns what it threw (null when nothing). */
    static Throwable onOtherThread(String name, Runnable body) throws InterruptedException {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, name);
        t.start();
        t.join(60_000);
        assertTrue(!t.isAlive(), "thread " + name + " did not finish within a minute");
        return thrown.get();
    }

    /** @return what {@code body} threw, or null. */
    static Throwable runCatching(Runnable body) {
        try {
            body.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    static long address(Buffer b) {
        return b.segment().address();
    }
}
