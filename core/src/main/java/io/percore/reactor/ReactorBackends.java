package io.percore.reactor;

import io.percore.reactor.aio.LinuxAioBackend;
import io.percore.reactor.epoll.EpollBackend;
import java.util.List;

/** Creates the backend named by {@code --reactor-backend}. */
public final class ReactorBackends {
    private ReactorBackends() {}

    /** The backends this build can drive. */
    public static final List<String> AVAILABLE = List.of("epoll", "linux-aio");

    /** @return the backend used when the user names none. */
    public static String defaultName() {
        return "epoll";
    }

    /**
     * @return a new backend for the calling shard thread
     * @throws IllegalArgumentException naming the available backends when {@code name} is not one of them
     */
    public static ReactorBackend create(String name) {
        return switch (name) {
            case "epoll" -> EpollBackend.create();
            case "linux-aio" -> LinuxAioBackend.create();
            default -> throw new IllegalArgumentException(
                    "unknown reactor backend '" + name + "' (available: " + String.join(", ", AVAILABLE) + ")");
        };
    }

    /** @throws IllegalArgumentException when {@code name} is not an available backend. */
    public static void validate(String name) {
        if (!AVAILABLE.contains(name)) {
            throw new IllegalArgumentException(
                    "unknown reactor backend '" + name + "' (available: " + String.join(", ", AVAILABLE) + ")");
        }
    }
}
