package io.percore.apps;

import io.percore.app.AppTemplate;
import io.percore.core.Promise;
import org.slf4j.LoggerFactory;

/**
 * A test program that never finishes, not even when asked to stop: the first signal only asks, so the second one
 * must end it at once. Run as a child process by {@link DemoProcessTest}.
 */
public final class StubbornApp {
    private StubbornApp() {}

    /** Runs with the standard options; a 60 s stop bound, so only the second signal can end it quickly. */
    public static void main(String[] args) {
        AppTemplate.builder("stubborn").stopTimeout(java.time.Duration.ofSeconds(60)).run(args, ctx -> {
            LoggerFactory.getLogger(StubbornApp.class).info("running; ignoring stop requests");
            ctx.stopRequested().thenAccept(v -> LoggerFactory.getLogger(StubbornApp.class).info("asked to stop; not stopping"));
            return new Promise<>();
        });
    }
}
