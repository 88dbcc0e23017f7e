package io.github.meterstream.kafka.internal;

import java.util.HashSet;
import java.util.Set;

/** Describes an exception with its cause chain on one line, for logs and health details. */
public final class Causes {

    private Causes() {
    }

    /** The message of {@code e} followed by each cause's type and message (a cycle is cut). */
    public static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder(String.valueOf(e.getMessage()));
        Throwable c = e.getCause();
        Set<Throwable> seen = new HashSet<>();
        while (c != null && seen.add(c)) {
            sb.append("; caused by ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
            c = c.getCause();
        }
        return sb.toString();
    }
}
