package io.percore.reactor;

import io.percore.reactor.aio.LinuxAioBackend;
import io.percore.reactor.epoll.EpollBackend;
import io.percore.reactor.uring.IoUringBackend;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the backend named by {@code --reactor-backend}, and picks the best one the kernel allows by default. */
public final class ReactorBackends {
    private static final Logger LOG = LoggerFactory.getLogger(ReactorBackends.class);

    private ReactorBackends() {}

    /** The backends this build can drive, best first. */
    public static final List<String> AVAILABLE = List.of("io_uring", "linux-aio", "epoll");

    private static final class Default {
        static final String NAME = probe();

        /** Tries each backend once, best first: a kernel without io_uring (or with it disabled) gets linux-aio. */
        private static String probe() {
            for (String name : AVAILABLE) {
                try {
                    create(name).close();
                    LOG.debug("default reactor backend: {} (the best this kernel allows)", name);
                    return name;
                } catch (RuntimeException | LinkageError e) {
                    LOG.debug("reactor backend {} unavailable: {}", name, e.getMessage());
                }
            }
            return "epoll";
        }
    }

    /** @return the backend used when the user names none: io_uring, else linux-aio, else epoll. Any thread. */
    public static String defaultName() {
        return Default.NAME;
    }

    /**
     * @return a new backend for the calling shard thread
     * @throws IllegalArgumentException naming the available backends when {@code name} is not one of them
     */
    public static ReactorBackend create(String name) {
        return switch (name) {
            case "io_uring" -> IoUringBackend.create();
            case "linux-aio" -> LinuxAioBackend.create();
            case "epoll" -> EpollBackend.create();
            default -> throw unknown(name);
        };
    }

    /** @throws IllegalArgumentException when {@code name} is not an available backend. */
    public static void validate(String name) {
        if (name == null || !AVAILABLE.contains(name)) {
            throw unknown(name);
        }
    }

    private static IllegalArgumentException unknown(String name) {
        return new IllegalArgumentException(
                "unknown reactor backend '" + name + "' (available: " + String.join(", ", AVAILABLE) + ")");
    }
}
