package io.github.meterstream.killbill.fakes;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

/** A Kill Bill API interface answered by a few named methods; every other method returns null/false/0. */
public final class Fake {

    /** Answers one method call. */
    @FunctionalInterface
    public interface Answer {
        Object answer(Object[] args) throws Throwable;
    }

    private Fake() {
    }

    /** {@code pairs}: method name, then a constant or an {@link Answer}, repeated. */
    @SuppressWarnings("unchecked")
    public static <T> T of(Class<T> type, Object... pairs) {
        Map<String, Object> answers = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            answers.put((String) pairs[i], pairs[i + 1]);
        }
        InvocationHandler h = (proxy, method, args) -> {
            String name = method.getName();
            if (answers.containsKey(name)) {
                Object a = answers.get(name);
                if (a instanceof Answer) {
                    try {
                        return ((Answer) a).answer(args == null ? new Object[0] : args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                }
                return a;
            }
            switch (name) {
                case "toString":
                    return type.getSimpleName() + "(fake)";
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                default:
                    Class<?> r = method.getReturnType();
                    if (r == boolean.class) {
                        return false;
                    }
                    if (r == int.class || r == long.class) {
                        return r == int.class ? (Object) 0 : (Object) 0L;
                    }
                    return null;
            }
        };
        return (T) Proxy.newProxyInstance(Fake.class.getClassLoader(), new Class<?>[] {type}, h);
    }
}
