package io.percore.app;

import io.percore.core.ReactorConfig;
import io.percore.reactor.ReactorBackends;
import io.percore.smp.CpuSet;
import io.percore.smp.SmpConfig;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The start-up options every percore program takes, named and defaulted as Seastar users know them
 * ({@code --smp}, {@code --cpuset}, {@code --memory}, {@code --reactor-backend}, {@code --task-quota-ms},
 * {@code --idle-poll-time-us}, {@code --poll-mode}, {@code --overprovisioned},
 * {@code --blocked-reactor-notify-ms}, {@code --help}, {@code --version}), and the network options of
 * {@link NetworkOptions} ({@code --network-stack posix|native} and the native stack's addresses).
 *
 * <p>{@link AppTemplate} fills an instance from the command line; the getters report what the user wrote (empty
 * when an option was left out) and {@link #resolve(List, long)} turns it into the {@link SmpConfig} the shards
 * start with, checking the combination (CPUs the process may use, shards per CPU, memory per shard). Not
 * thread-safe: filled and read by the thread that starts the program.
 */
@Command(mixinStandardHelpOptions = true, sortOptions = false)
public final class AppOptions {
    /** The least memory a shard may be given; below it a shard could not hold its own buffers. */
    public static final long MIN_MEMORY_PER_SHARD = 1L << 20;

    @Option(names = "--smp", paramLabel = "N",
            description = "Number of shards: threads, each with its own reactor, pinned to one CPU. "
                    + "Default: one per CPU of --cpuset, or of the CPUs this process may run on.")
    private Integer smp;

    @Option(names = "--cpuset", paramLabel = "LIST", converter = CpuListConverter.class,
            description = "CPUs to run the shards on, e.g. 0-3,8. With --smp N, the first N of them. "
                    + "Every CPU must be in this process's affinity mask. Default: that whole mask.")
    private CpuList cpuset;

    @Option(names = "--memory", paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Memory for all shards together, divided equally among them "
                    + "(binary units: 512M, 4G, 1.5G). Default: half of physical memory.")
    private Long memory;

    @Option(names = "--reactor-backend", paramLabel = "NAME", converter = BackendConverter.class,
            completionCandidates = BackendNames.class,
            description = "Reactor backend: ${COMPLETION-CANDIDATES}. Default: ${DEFAULT-VALUE}.")
    private String reactorBackend = ReactorBackends.defaultName();

    @Option(names = "--task-quota-ms", paramLabel = "D",
            description = "How long a shard runs tasks before it polls I/O, timers and other shards "
                    + "(milliseconds, fractions allowed). Default: ${DEFAULT-VALUE}.")
    private double taskQuotaMs = 0.5;

    @Option(names = "--idle-poll-time-us", paramLabel = "N",
            description = "How long an idle shard keeps polling before it sleeps (microseconds). "
                    + "Default: 200, or 0 with --overprovisioned.")
    private Long idlePollTimeUs;

    @Option(names = "--poll-mode",
            description = "Never sleep: shards poll all the time (lowest latency, a full CPU each).")
    private boolean pollMode;

    @Option(names = "--overprovisioned",
            description = "The CPUs are shared with other work (a container, a laptop): do not pin shards, "
                    + "allow more shards than CPUs, and sleep at once when idle (idle poll 0 unless given).")
    private boolean overprovisioned;

    @Option(names = "--blocked-reactor-notify-ms", paramLabel = "N",
            description = "Report a task that keeps its shard busy longer than this, with its stack "
                    + "(milliseconds). Default: ${DEFAULT-VALUE}.")
    private long blockedReactorNotifyMs = 25;

    @Mixin
    private NetworkOptions network = new NetworkOptions();

    /** A CPU list as parsed from {@code --cpuset}; a type of its own so picocli takes it as one value. */
    record CpuList(List<Integer> cpus) {}

    /** Creates the options with every default in place, as if the command line were empty. */
    public AppOptions() {}

    /** @return {@code --smp} as given, or empty for the default (one shard per CPU). */
    public OptionalInt smp() {
        return smp == null ? OptionalInt.empty() : OptionalInt.of(smp);
    }

    /** @return the CPUs of {@code --cpuset}, ascending, or empty for the default (the affinity mask). */
    public Optional<List<Integer>> cpuset() {
        return cpuset == null ? Optional.empty() : Optional.of(cpuset.cpus());
    }

    /** @return {@code --memory} in bytes as given (for all shards), or empty for the default. */
    public OptionalLong memory() {
        return memory == null ? OptionalLong.empty() : OptionalLong.of(memory);
    }

    /** @return the reactor backend's name (validated against {@link ReactorBackends#AVAILABLE}). */
    public String reactorBackend() {
        return reactorBackend;
    }

    /** @return the network options ({@code --network-stack} and the native stack's). */
    public NetworkOptions network() {
        return network;
    }

    /** @return the task quota in milliseconds. */
    public double taskQuotaMs() {
        return taskQuotaMs;
    }

    /** @return the idle-poll time in microseconds, with {@code --overprovisioned}'s default applied. */
    public long idlePollTimeUs() {
        if (idlePollTimeUs != null) {
            return idlePollTimeUs;
        }
        return overprovisioned ? 0 : 200;
    }

    /** @return true with {@code --poll-mode}. */
    public boolean pollMode() {
        return pollMode;
    }

    /** @return true with {@code --overprovisioned}. */
    public boolean overprovisioned() {
        return overprovisioned;
    }

    /** @return the stall-report threshold in milliseconds. */
    public long blockedReactorNotifyMs() {
        return blockedReactorNotifyMs;
    }

    /**
     * Resolves the options against this machine: the calling thread's affinity mask and physical memory.
     *
     * @see #resolve(List, long)
     */
    public SmpConfig resolve() {
        return resolve(CpuSet.allowed(), physicalMemory());
    }

    /**
     * Turns the options into the shards' configuration. CPUs come from {@code --cpuset} (else all of
     * {@code allowedCpus}); {@code --smp N} takes the first N. Shards are pinned, one per CPU, unless
     * {@code --overprovisioned}, which also lets shards outnumber CPUs (they then share them round-robin).
     * {@code --memory} (default: half of {@code physicalMemoryBytes}) is divided equally among the shards.
     *
     * @param allowedCpus         the CPUs this process may run on, ascending
     * @param physicalMemoryBytes the machine's memory, for the {@code --memory} default
     * @return the configuration for {@link io.percore.smp.Smp#start}
     * @throws IllegalArgumentException with one line naming the option and what is wrong with it
     */
    public SmpConfig resolve(List<Integer> allowedCpus, long physicalMemoryBytes) {
        List<Integer> set;
        if (cpuset != null) {
            for (int cpu : cpuset.cpus()) {
                if (!allowedCpus.contains(cpu)) {
                    throw new IllegalArgumentException("--cpuset " + formatCpus(cpuset.cpus()) + ": CPU " + cpu
                            + " is not available to this process (it may run on " + formatCpus(allowedCpus) + ")");
                }
            }
            set = cpuset.cpus();
        } else {
            set = allowedCpus;
        }
        if (set.isEmpty()) {
            throw new IllegalArgumentException("this process may run on no CPU at all");
        }
        int shards = smp == null ? set.size() : smp;
        if (shards < 1) {
            throw new IllegalArgumentException("--smp must be at least 1, not " + shards);
        }
        if (shards > set.size() && !overprovisioned) {
            throw new IllegalArgumentException("--smp " + shards + " needs " + shards + " CPUs but "
                    + (cpuset != null ? "--cpuset has " : "this process may run on ") + set.size() + " ("
                    + formatCpus(set) + "); add --overprovisioned to run more shards than CPUs");
        }
        List<Integer> cpus = new ArrayList<>(shards);
        for (int i = 0; i < shards; i++) {
            cpus.add(set.get(i % set.size()));
        }

        long total = memory != null ? memory : Math.max(physicalMemoryBytes / 2, MIN_MEMORY_PER_SHARD * shards);
        long perShard = total / shards;
        if (perShard < MIN_MEMORY_PER_SHARD) {
            throw new IllegalArgumentException("--memory " + Sizes.format(total) + " is too little for " + shards
                    + " shard(s): each needs at least " + Sizes.format(MIN_MEMORY_PER_SHARD));
        }

        if (!(taskQuotaMs > 0) || taskQuotaMs > 60_000) {
            throw new IllegalArgumentException("--task-quota-ms must be above 0 and at most 60000, not " + taskQuotaMs);
        }
        long quotaNanos = Math.max(1, Math.round(taskQuotaMs * 1_000_000));
        long idleUs = idlePollTimeUs();
        if (idleUs < 0 || idleUs > 60_000_000) {
            throw new IllegalArgumentException("--idle-poll-time-us must be between 0 and 60000000, not " + idleUs);
        }
        if (blockedReactorNotifyMs < 1 || blockedReactorNotifyMs > 3_600_000) {
            throw new IllegalArgumentException("--blocked-reactor-notify-ms must be between 1 and 3600000, not "
                    + blockedReactorNotifyMs);
        }
        ReactorConfig reactor = new ReactorConfig(quotaNanos, idleUs * 1_000, pollMode,
                blockedReactorNotifyMs * 1_000_000, reactorBackend, perShard);
        return new SmpConfig(cpus, !overprovisioned, reactor, SmpConfig.DEFAULT_RING_SIZE);
    }

    /** @return the machine's physical memory in bytes (the container's limit where there is one). */
    public static long physicalMemory() {
        // HotSpot's bean reads cgroup limits too, so a container's share is what we halve, not the host's RAM.
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
    }

    /** @return CPUs as a compact list: {@code 0-3,8}. */
    static String formatCpus(List<Integer> cpus) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < cpus.size()) {
            int j = i;
            while (j + 1 < cpus.size() && cpus.get(j + 1) == cpus.get(j) + 1) {
                j++;
            }
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append(cpus.get(i));
            if (j > i) {
                sb.append('-').append(cpus.get(j));
            }
            i = j + 1;
        }
        return sb.toString();
    }

    /** Parses {@code --cpuset} with {@link CpuSet#parse}, reporting its message as the option's error. */
    static final class CpuListConverter implements ITypeConverter<CpuList> {
        @Override
        public CpuList convert(String value) {
            try {
                return new CpuList(CpuSet.parse(value));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Parses {@code --memory}. */
    static final class SizeConverter implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return Sizes.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Checks {@code --reactor-backend} against the backends this build has. */
    static final class BackendConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            try {
                ReactorBackends.validate(value);
                return value;
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** The backend names, for the help text. */
    static final class BackendNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return ReactorBackends.AVAILABLE.iterator();
        }
    }
}
