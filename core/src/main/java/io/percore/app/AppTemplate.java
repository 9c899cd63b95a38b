package io.percore.app;

import io.percore.core.Future;
import io.percore.reactor.ReactorBackends;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Starts a percore program the way Seastar's {@code app_template} does: parse the command line, start the shards,
 * run the program's main function on shard 0, stop in order on SIGINT/SIGTERM, and turn the outcome into an exit
 * code.
 *
 * <pre>{@code
 * public static void main(String[] args) {
 *     HttpdOptions mine = new HttpdOptions();          // a class with picocli @Option fields
 *     AppTemplate.builder("httpd").options(mine).run(args, ctx ->
 *             startServer(mine.port).then(ctx::stopRequested).then(() -> Future.ready(0)));
 * }
 * }</pre>
 *
 * <p><b>Command line.</b> The standard options are those of {@link AppOptions}; a program adds its own by passing
 * objects with picocli {@code @Option} fields to {@link Builder#options(Object...)}, which the template fills
 * (read them back through the object itself or {@link AppContext#options(Class)}). An unknown or malformed
 * option, or a bad combination ({@code --cpuset} naming a CPU the process may not use), ends the program with
 * exit code {@value #EXIT_USAGE} and one line on stderr, before any shard starts. {@code --help} and
 * {@code --version} print to stdout and exit 0.
 *
 * <p><b>Network stack.</b> Under {@code --network-stack native} ({@link NetworkOptions}) the template opens the TAP
 * device (or the AF_PACKET interface) before the shards start, starts the native stack on every shard and installs
 * it (under {@code --dhcp} once a lease is granted; none in time exits {@value #EXIT_FAILURE}), so
 * {@link io.percore.net.Network#stack()} returns it to the program; after the program it stops the stacks (resetting
 * what is still open), then the shards, then closes the device. The program's code is the same on either stack.
 *
 * <p><b>Running.</b> The shards start with the resolved {@link SmpConfig}; the main function runs on shard 0 and
 * returns a future of the exit code. When it completes the shards stop, last first, and the program exits with
 * that code; a failed future is logged and exits {@value #EXIT_FAILURE}.
 *
 * <p><b>Stopping.</b> The first SIGINT or SIGTERM (or {@link #requestStop()}) completes
 * {@link AppContext#stopRequested()} on shard 0; the program finishes its work and completes its future (its code,
 * normally 0, is the exit code), then the shards stop. Every wait is bounded by {@link Builder#stopTimeout}: a
 * program that does not finish in time, or shards that do not stop, are logged and the exit code is
 * {@value #EXIT_FAILURE}. A second signal ends the process at once with 128 + the signal's number.
 *
 * <p>An instance runs once. {@link #runForExitCode} never calls {@code System.exit} (tests use it); {@link #run}
 * does.
 */
public final class AppTemplate {
    private static final Logger LOG = LoggerFactory.getLogger(AppTemplate.class);

    /** Exit code of a program that failed or did not stop cleanly. */
    public static final int EXIT_FAILURE = 1;
    /** Exit code for an unknown or malformed command line. */
    public static final int EXIT_USAGE = 2;

    private final String name;
    private final String description;
    private final List<Object> extraOptions;
    private final PrintStream out;
    private final PrintStream err;
    private final boolean handleSignals;
    private final Duration stopTimeout;
    private final AppOptions options = new AppOptions();

    private final AtomicBoolean ran = new AtomicBoolean();
    private final AtomicInteger signals = new AtomicInteger();
    /** Completed by the first stop request, from any thread. */
    private final CompletableFuture<Void> stopAsked = new CompletableFuture<>();
    private volatile Smp smp;
    /** Set on shard 0 when the program starts; read there only. */
    private AppContext context;

    private AppTemplate(Builder b) {
        this.name = b.name;
        this.description = b.description;
        this.extraOptions = List.copyOf(b.extraOptions);
        this.out = b.out;
        this.err = b.err;
        this.handleSignals = b.handleSignals;
        this.stopTimeout = b.stopTimeout;
    }

    /**
     * @param name the program's name as users type it ({@code "percore httpd"}, {@code "memcached"}): shown in
     *             the usage line and at the start of every error line
     * @return a builder; any thread
     */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Collects a program's name, extra options and settings; builds an {@link AppTemplate}. Not thread-safe. */
    public static final class Builder {
        private final String name;
        private String description = "";
        private final List<Object> extraOptions = new ArrayList<>();
        private PrintStream out = System.out;
        private PrintStream err = System.err;
        private boolean handleSignals = true;
        private Duration stopTimeout = Duration.ofSeconds(10);

        private Builder(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("a program needs a name");
            }
            this.name = name;
        }

        /** Sets the one-paragraph description printed by {@code --help}. */
        public Builder description(String text) {
            this.description = Objects.requireNonNull(text);
            return this;
        }

        /**
         * Adds the program's own options: objects whose fields carry picocli {@code @Option} (and
         * {@code @Parameters}) annotations. They are filled from the command line before the main function runs;
         * their options appear in {@code --help} after the standard ones.
         */
        public Builder options(Object... optionObjects) {
            for (Object o : optionObjects) {
                extraOptions.add(Objects.requireNonNull(o));
            }
            return this;
        }

        /** Sends usage, version and error lines to these streams instead of System.out and System.err (tests). */
        public Builder output(PrintStream out, PrintStream err) {
            this.out = Objects.requireNonNull(out);
            this.err = Objects.requireNonNull(err);
            return this;
        }

        /** Whether to take over SIGINT and SIGTERM while the program runs (default true; off in in-process tests). */
        public Builder handleSignals(boolean on) {
            this.handleSignals = on;
            return this;
        }

        /**
         * Bounds each step of stopping: the program's finishing after a stop request, then the shards' stopping.
         * Default 10 s.
         */
        public Builder stopTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("stop timeout must be positive");
            }
            this.stopTimeout = timeout;
            return this;
        }

        /** @return a template that runs once */
        public AppTemplate build() {
            return new AppTemplate(this);
        }

        /** Builds and runs; see {@link AppTemplate#runForExitCode}. */
        public int runForExitCode(String[] args, Function<AppContext, Future<Integer>> main) {
            return build().runForExitCode(args, main);
        }

        /** Builds, runs, and exits the JVM with the exit code; see {@link AppTemplate#run}. */
        public void run(String[] args, Function<AppContext, Future<Integer>> main) {
            build().run(args, main);
        }
    }

    /** Thrown by {@link #parse} for a command line the program cannot run with; the message is one line. */
    public static final class UsageException extends IllegalArgumentException {
        UsageException(String message) {
            super(message);
        }
    }

    /** @return the standard options this template fills. */
    public AppOptions options() {
        return options;
    }

    /**
     * Parses {@code args} into {@link #options()} and the program's option objects without starting anything.
     *
     * @return true when the program should run; false when {@code --help} or {@code --version} was asked for
     * (and is printed to the output stream)
     * @throws UsageException for an unknown or malformed option; its message is the line printed on stderr,
     *                        without the program name
     */
    public boolean parse(String... args) {
        CommandLine cl = commandLine();
        try {
            cl.parseArgs(args);
        } catch (ParameterException e) {
            throw new UsageException(describe(e));
        }
        if (cl.isUsageHelpRequested()) {
            cl.usage(out);
            out.flush();
            return false;
        }
        if (cl.isVersionHelpRequested()) {
            cl.printVersionHelp(out);
            out.flush();
            return false;
        }
        return true;
    }

    /**
     * Runs the program and exits the JVM with its exit code ({@link #runForExitCode}). Call from {@code main}.
     */
    public void run(String[] args, Function<AppContext, Future<Integer>> main) {
        int code = runForExitCode(args, main);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * Parses {@code args}, starts the shards, runs {@code main} on shard 0 and stops everything again. Call from a
     * non-shard thread (a {@code main} thread, a test); returns once every shard has stopped or the stop bound
     * has passed.
     *
     * @param main the program: called once on shard 0 with its context; its future's value is the exit code
     *             (null counts as 0)
     * @return 0 for {@code --help}/{@code --version}; {@value #EXIT_USAGE} for a bad command line; the program's
     * code; {@value #EXIT_FAILURE} when it failed, the shards could not start, or stopping overran its bound
     * @throws IllegalStateException when this template has run already
     */
    public int runForExitCode(String[] args, Function<AppContext, Future<Integer>> main) {
        if (!ran.compareAndSet(false, true)) {
            throw new IllegalStateException("an AppTemplate runs once; build another");
        }
        SmpConfig config;
        try {
            if (!parse(args)) {
                return 0;
            }
            config = options.resolve();
            options.network().check();
        } catch (IllegalArgumentException e) {
            err.println(name + ": " + e.getMessage() + (e instanceof UsageException ? " (see --help)" : ""));
            err.flush();
            return EXIT_USAGE;
        }
        SignalTrap trap = handleSignals ? SignalTrap.install(List.of("INT", "TERM"), this::onSignal) : null;
        try {
            return runApp(config, main);
        } finally {
            if (trap != null) {
                trap.restore();
            }
        }
    }

    /**
     * Asks the running program to stop, as the first SIGINT/SIGTERM does: completes
     * {@link AppContext#stopRequested()} on shard 0. Before the program starts, the request waits for it;
     * idempotent. Any thread.
     */
    public void requestStop() {
        if (!stopAsked.complete(null)) {
            return;
        }
        Smp s = smp;
        if (s != null) {
            // Off the shard: the context is shard 0's. If the program has not started yet, it sees stopAsked itself.
            s.submitExternal(0, () -> {
                AppContext c = context;
                if (c != null) {
                    c.requestStop();
                }
                return Future.done();
            });
        }
    }

    private void onSignal(String signalName, int number) {
        if (signals.incrementAndGet() == 1) {
            LOG.info("SIG{} received: asking {} to stop (send it again to exit at once)", signalName, name);
            requestStop();
        } else {
            err.println(name + ": second signal (SIG" + signalName + "), exiting at once");
            err.flush();
            Runtime.getRuntime().halt(128 + number);
        }
    }

    private int runApp(SmpConfig config, Function<AppContext, Future<Integer>> main) {
        NativeStackRunner nativeStack = null;
        if (options.network().isNative()) {
            // Before the shards: a device the process may not open ends the program before anything runs.
            try {
                nativeStack = NativeStackRunner.open(options.network(), config.shards());
            } catch (RuntimeException e) {
                LOG.error("{} could not open {} for the native stack: {}", name,
                        NativeStackRunner.deviceName(options.network().nativeConfig()), e.toString());
                return EXIT_FAILURE;
            }
        }
        Smp started;
        try {
            started = Smp.start(config, r -> {});
        } catch (RuntimeException e) {
            LOG.error("{} could not start its shards: {}", name, e.getMessage(), e);
            if (nativeStack != null) {
                nativeStack.close();
            }
            return EXIT_FAILURE;
        }
        smp = started;
        if (nativeStack != null) {
            try {
                nativeStack.start(started, stopTimeout);
            } catch (Exception e) {
                if (e instanceof NativeStackRunner.NoLeaseException) {
                    // No DHCP server answered: the message says it all, a stack trace would bury it.
                    LOG.error("{} could not start the native stack: {}", name, e.getMessage());
                } else {
                    LOG.error("{} could not start the native stack: {}", name, e.toString(), e);
                }
                boolean stopped = nativeStack.stop(started, stopTimeout);
                if (stopShards(started) && stopped) {
                    nativeStack.close();
                }
                return EXIT_FAILURE;
            }
        }
        LOG.info("{}: {} shard(s), {} memory each ({} in all)", name, config.shards(),
                Sizes.format(config.reactor().memoryPerShard()),
                Sizes.format(config.reactor().memoryPerShard() * config.shards()));
        int code;
        try {
            CompletableFuture<Integer> result = started.submitExternal(0, () -> {
                AppContext ctx = new AppContext(name, options, extraOptions, started);
                context = ctx;
                if (stopAsked.isDone()) {
                    ctx.requestStop();
                }
                return Future.of(() -> main.apply(ctx));
            });
            code = awaitProgram(result);
        } finally {
            // The program has finished with its connections; the stacks go before the shards that poll them.
            boolean stacksStopped = nativeStack == null || nativeStack.stop(started, stopTimeout);
            if (!stopShards(started) || !stacksStopped) {
                code = EXIT_FAILURE;
            } else if (nativeStack != null) {
                nativeStack.close();
            }
        }
        return code;
    }

    /** Waits for the program's future: without bound while it runs, at most {@link #stopTimeout} once asked to stop. */
    private int awaitProgram(CompletableFuture<Integer> result) {
        try {
            CompletableFuture.anyOf(result, stopAsked).join();
        } catch (RuntimeException e) {
            // The program failed: its outcome is read below.
        }
        try {
            Integer code = result.isDone() ? result.get() : result.get(stopTimeout.toMillis(), TimeUnit.MILLISECONDS);
            return code == null ? 0 : code;
        } catch (ExecutionException e) {
            LOG.error("{} failed", name, e.getCause());
            return EXIT_FAILURE;
        } catch (TimeoutException e) {
            LOG.error("{} did not finish within {} ms of the stop request; stopping the shards anyway", name,
                    stopTimeout.toMillis());
            return EXIT_FAILURE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.error("interrupted while waiting for {}; stopping the shards", name);
            return EXIT_FAILURE;
        }
    }

    /** Stops the shards, last first, on a helper thread so the wait stays bounded; @return true when all stopped. */
    private boolean stopShards(Smp s) {
        Thread stopper = new Thread(s::stop, "percore-stop");
        stopper.setDaemon(true);
        stopper.start();
        try {
            stopper.join(stopTimeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (stopper.isAlive()) {
            LOG.error("the shards did not stop within {} ms", stopTimeout.toMillis());
            return false;
        }
        LOG.info("{}: all shards stopped", name);
        return true;
    }

    private CommandLine commandLine() {
        CommandSpec spec = CommandSpec.forAnnotatedObject(options);
        spec.name(name);
        spec.version(versionLines());
        if (!description.isEmpty()) {
            spec.usageMessage().description(description);
        }
        spec.usageMessage().abbreviateSynopsis(true);
        int i = 0;
        for (Object o : extraOptions) {
            spec.addMixin("options" + i++, CommandSpec.forAnnotatedObject(o));
        }
        CommandLine cl = new CommandLine(spec);
        // Arguments are taken literally: "@file" expansion would surprise users who know Seastar's options.
        cl.setExpandAtFiles(false);
        return cl;
    }

    /** @return what {@code --version} prints. */
    static String[] versionLines() {
        String version = "development build";
        try (InputStream in = AppTemplate.class.getResourceAsStream(
                "/META-INF/maven/io.percore/percore-core/pom.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                version = p.getProperty("version", version);
            }
        } catch (IOException e) {
            // Keep "development build": the version is informative only.
        }
        return new String[]{
                "percore " + version,
                "JDK " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")",
                "reactor backends: " + String.join(", ", ReactorBackends.AVAILABLE),
        };
    }

    /** @return one line for a parse error, in the user's terms. */
    static String describe(ParameterException e) {
        if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String arg = u.getUnmatched().get(0);
            if (arg.startsWith("-")) {
                int eq = arg.indexOf('=');
                String option = eq > 0 ? arg.substring(0, eq) : arg;
                List<String> suggestions = u.getSuggestions();
                return "unknown option '" + option + "'"
                        + (suggestions.isEmpty() ? "" : ", did you mean '" + suggestions.get(0) + "'?");
            }
            return "unexpected argument '" + arg + "'";
        }
        String message = String.valueOf(e.getMessage()).strip();
        int nl = message.indexOf('\n');
        if (nl >= 0) {
            message = message.substring(0, nl).strip();
        }
        if (message.length() > 1 && Character.isUpperCase(message.charAt(0))
                && Character.isLowerCase(message.charAt(1))) {
            message = message.substring(0, 1).toLowerCase(Locale.ROOT) + message.substring(1);
        }
        return message;
    }
}
