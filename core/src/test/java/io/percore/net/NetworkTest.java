package io.percore.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.percore.core.Future;
import io.percore.core.ReactorConfig;
import io.percore.smp.Smp;
import io.percore.smp.SmpConfig;
import java.lang.reflect.Proxy;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Which stack {@link Network#stack()} gives a shard: POSIX by default, an installed one (the native stack) instead. */
class NetworkTest {
    /** A stack that only has a name: enough to see which one a shard gets. */
    private static NetworkStack named(String name) {
        return (NetworkStack) Proxy.newProxyInstance(NetworkTest.class.getClassLoader(), new Class<?>[] {NetworkStack.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "name" -> name;
                    case "toString" -> "stack " + name;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void eachShardGetsItsOwnPosixStackUnlessOneIsInstalled() throws Exception {
        assertTrue(Network.AVAILABLE.contains("posix") && Network.AVAILABLE.contains("native"));
        assertThrows(IllegalStateException.class, Network::stack, "off a shard");
        assertThrows(IllegalStateException.class, () -> Network.install(named("x")), "off a shard");
        Smp smp = Smp.start(SmpConfig.of(2, ReactorConfig.defaults()), r -> { });
        try {
            NetworkStack posix0 = smp.submitExternal(0, () -> Future.ready(Network.stack())).get(10, TimeUnit.SECONDS);
            assertEquals("posix", posix0.name());
            assertSame(posix0, smp.submitExternal(0, () -> Future.ready(Network.stack())).get(10, TimeUnit.SECONDS));
            // A shard that already handed out the POSIX stack does not switch silently.
            String refused = smp.submitExternal(0, () -> Future.ofValue(() -> {
                try {
                    Network.install(named("native"));
                    return "installed";
                } catch (IllegalStateException e) {
                    return e.getMessage();
                }
            })).get(10, TimeUnit.SECONDS);
            assertEquals("this shard already uses the posix stack", refused);

            NetworkStack fake = named("native");
            String[] seen = smp.submitExternal(1, () -> Future.ofValue(() -> {
                Network.install(fake);
                Network.install(fake); // the same one again: a no-op
                String installed = Network.stack().name();
                boolean same = Network.stack() == fake;
                Network.uninstall();
                return new String[] {installed, Boolean.toString(same), Network.stack().name()};
            })).get(10, TimeUnit.SECONDS);
            assertEquals("native", seen[0]);
            assertEquals("true", seen[1]);
            assertEquals("posix", seen[2], "after uninstall the shard falls back to a POSIX stack of its own");
            NetworkStack posix1 = smp.submitExternal(1, () -> Future.ready(Network.stack())).get(10, TimeUnit.SECONDS);
            assertNotSame(posix0, posix1, "one stack per shard");
        } finally {
            smp.stop();
        }
    }
}
