package io.percore.dns;

import io.percore.core.Reactor;
import io.percore.net.NetworkStack;
import io.percore.reactor.ReactorBackend;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

/**
 * The dnsmasq suite over percore's POSIX stack ({@code io.percore.net.posix.PosixStack}), found by reflection
 * because it lives on another branch until merged: the suite is skipped, saying so, while the class is absent,
 * and runs by itself once it is there. A shard's stack is made by the first of these the class offers: a public
 * static no-argument factory returning a {@link NetworkStack}, a public static factory taking the shard's
 * {@link Reactor} or {@link ReactorBackend}, or a public constructor of the same shapes. If the class exists with
 * none of them the suite fails, so that this lookup gets updated rather than silently skipped.
 */
class DnsmasqPosixStackTest extends DnsmasqSuite {
    static final String POSIX_STACK = "io.percore.net.posix.PosixStack";

    static Class<?> posixStackClass() {
        try {
            return Class.forName(POSIX_STACK);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    @Override
    String stackUnavailable() {
        return posixStackClass() != null ? null : POSIX_STACK + " is not in this build yet (the POSIX network stack "
                + "is on another branch); the same suite runs over JdkTestStack meanwhile";
    }

    @Override
    NetworkStack newStack() throws Exception {
        Class<?> c = posixStackClass();
        Reactor reactor = Reactor.current();
        Object[][] argumentChoices = {{}, {reactor}, {reactor.backend()}};
        for (Object[] args : argumentChoices) {
            for (Method m : c.getMethods()) {
                if (Modifier.isStatic(m.getModifiers()) && NetworkStack.class.isAssignableFrom(m.getReturnType())
                        && accepts(m.getParameterTypes(), args)) {
                    return (NetworkStack) m.invoke(null, args);
                }
            }
            for (Constructor<?> k : c.getConstructors()) {
                if (accepts(k.getParameterTypes(), args)) {
                    return (NetworkStack) k.newInstance(args);
                }
            }
        }
        throw new AssertionError(POSIX_STACK + " exists but offers no factory this test knows (no-argument, Reactor "
                + "or ReactorBackend): update DnsmasqPosixStackTest.newStack()");
    }

    private static boolean accepts(Class<?>[] types, Object[] args) {
        if (types.length != args.length) {
            return false;
        }
        for (int i = 0; i < types.length; i++) {
            if (!types[i].isInstance(args[i])) {
                return false;
            }
        }
        return true;
    }

    @Override
    void closeStack(NetworkStack stack) throws Exception {
        if (stack instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }
}
