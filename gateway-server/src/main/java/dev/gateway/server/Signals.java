package dev.gateway.server;

import java.lang.reflect.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSIX signal handlers through {@code sun.misc.Signal} (module jdk.unsupported), reached reflectively so the
 * build has no internal-API warnings. A JVM without it keeps its default handling and logs that once.
 */
final class Signals {

    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    /** What became of a request to handle a signal. */
    enum Outcome {
        /** The action runs when the signal arrives. */
        HANDLED,
        /**
         * The process started with the signal ignored (as {@code nohup} leaves SIGHUP), and it stays ignored:
         * HotSpot refuses to replace an inherited SIG_IGN for SIGHUP, SIGINT and SIGTERM. It says so only by
         * answering {@code SIG_IGN} as the previous handler, without installing the new one.
         */
        IGNORED_BY_PARENT,
        /** This JVM offers no way to handle it; its default applies (logged here). */
        UNAVAILABLE
    }

    private Signals() {
    }

    static Outcome on(String name, Runnable action) {
        try {
            Class<?> signalClass = Class.forName("sun.misc.Signal");
            Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            Object signal = signalClass.getConstructor(String.class).newInstance(name);
            Object handler = Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] {handlerClass},
                    (proxy, method, args) -> {
                        if (method.getName().equals("handle")) {
                            action.run();
                        }
                        return null;
                    });
            Object previous = signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, handler);
            Object ignored = handlerClass.getField("SIG_IGN").get(null);
            return previous == ignored ? Outcome.IGNORED_BY_PARENT : Outcome.HANDLED;
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("cannot handle SIG{} ({}); the JVM's default applies", name, e.toString());
            return Outcome.UNAVAILABLE;
        }
    }
}
