package io.percore.apps.httpd;

import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * httpd running in the test's JVM on two shards over the kernel's TCP stack (the POSIX network stack), on
 * 127.0.0.1 and a free port, for tests that talk to it with real clients. Start it once per test class.
 */
final class LiveHttpd implements AutoCloseable {
    final Smp smp;
    final HttpdApp.Running running;
    final int port;

    private LiveHttpd(Smp smp, HttpdApp.Running running) {
        this.smp = smp;
        this.running = running;
        this.port = running.address().port();
    }

    static LiveHttpd start(Path dir) throws Exception {
        Smp smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> {});
        try {
            HttpdApp.Options o = HttpdApp.Options.defaults().withPort(0).withAddress("127.0.0.1").withDir(dir);
            HttpdApp.Running running = smp.submitExternal(0, () -> HttpdApp.start(o)).get(20, TimeUnit.SECONDS);
            return new LiveHttpd(smp, running);
        } catch (Exception | Error e) {
            smp.stop();
            throw e;
        }
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** Runs {@code work} on {@code shard} and waits for it. */
    <T> T on(int shard, Supplier<Future<T>> work) throws Exception {
        try {
            return smp.submitExternal(shard, work).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    @Override
    public void close() throws Exception {
        try {
            on(0, () -> running.servers().stop());
        } finally {
            smp.stop();
        }
    }
}
