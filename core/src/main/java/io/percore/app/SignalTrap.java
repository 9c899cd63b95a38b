package io.percore.app;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ObjIntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Catches SIGINT and SIGTERM for the running program and restores the previous handlers afterwards.
 *
 * <p><b>Why {@code sun.misc.Signal} and not a shutdown hook.</b> A hook runs only once the JVM has started to exit:
 * the exit status is already 128+signal, {@code System.exit} from the program's own thread would then block
 * forever, and a second Ctrl-C is ignored. {@code sun.misc.Signal} (module {@code jdk.unsupported}, exported to
 * everyone) lets the first signal start an orderly stop and a second one end the process at once. It is reached
 * by reflection only because javac flags every direct use as "internal proprietary API" with a warning no
 * {@code @SuppressWarnings} silences, and the build keeps {@code -Xlint:all} clean.
 *
 * <p>The handler runs on a JDK thread made for each signal, never on a shard.
 */
final class SignalTrap {
    private static final Logger LOG = LoggerFactory.getLogger(SignalTrap.class);

    private final Method handleMethod;
    private final List<Object[]> previous = new ArrayList<>();

    private SignalTrap(Method handleMethod) {
        this.handleMethod = handleMethod;
    }

    /**
     * Installs {@code onSignal(name, number)} for each signal in {@code names} ("INT", "TERM"). A signal the JVM
     * will not hand over (it is ignored, as SIGINT is for background jobs of a non-interactive shell, or the
     * JVM runs with {@code -Xrs}) is skipped with a debug line. Any thread.
     *
     * @return the trap, to {@link #restore()} later; null when this JVM has no {@code sun.misc.Signal}
     */
    static SignalTrap install(List<String> names, ObjIntConsumer<String> onSignal) {
        Class<?> signalClass;
        Class<?> handlerClass;
        Method handle;
        Method getName;
        Method getNumber;
        try {
            signalClass = Class.forName("sun.misc.Signal");
            handlerClass = Class.forName("sun.misc.SignalHandler");
            handle = signalClass.getMethod("handle", signalClass, handlerClass);
            getName = signalClass.getMethod("getName");
            getNumber = signalClass.getMethod("getNumber");
        } catch (ReflectiveOperationException e) {
            LOG.warn("signals will not stop the program gracefully: {}", e.toString());
            return null;
        }
        Object handler = Proxy.newProxyInstance(SignalTrap.class.getClassLoader(), new Class<?>[]{handlerClass},
                (proxy, method, args) -> switch (method.getName()) {
                    case "handle" -> {
                        onSignal.accept((String) getName.invoke(args[0]), (Integer) getNumber.invoke(args[0]));
                        yield null;
                    }
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "percore stop handler";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        SignalTrap trap = new SignalTrap(handle);
        for (String name : names) {
            try {
                Object signal = signalClass.getConstructor(String.class).newInstance(name);
                Object old = handle.invoke(null, signal, handler);
                trap.previous.add(new Object[]{signal, old});
            } catch (InvocationTargetException e) {
                LOG.debug("SIG{} stays with the JVM: {}", name, e.getCause().toString());
            } catch (ReflectiveOperationException e) {
                LOG.debug("SIG{} stays with the JVM: {}", name, e.toString());
            }
        }
        return trap;
    }

    /** Puts back the handlers that were there before {@link #install}. */
    void restore() {
        for (Object[] p : previous) {
            try {
                handleMethod.invoke(null, p[0], p[1]);
            } catch (ReflectiveOperationException e) {
                LOG.debug("could not restore the handler of {}: {}", p[0], e.toString());
            }
        }
        previous.clear();
    }
}
