package io.github.meterstream.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Raw numbers per variant, medians, ratios, load averages: printed as Markdown. */
final class Report {

    private final String unit;
    private final Map<String, List<Double>> raw = new LinkedHashMap<>();
    private final List<String> loads = new ArrayList<>();

    Report(String unit) {
        this.unit = unit;
    }

    static void header(String name, String[] args) {
        System.out.printf(Locale.ROOT, "### %s %s%n", name, String.join(" ", args));
        System.out.printf(Locale.ROOT, "- machine: nproc=%d, max heap %d MiB, %s%n", Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory() >> 20, memTotal());
        System.out.printf(Locale.ROOT, "- JDK: %s %s (%s); JVM args %s%n", System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"), System.getProperty("java.vendor"),
                ManagementFactory.getRuntimeMXBean().getInputArguments());
        System.out.printf(Locale.ROOT, "- load average at start: %s%n", loadAverage());
    }

    static String memTotal() {
        try {
            return Files.readAllLines(Path.of("/proc/meminfo")).get(0).replaceAll("\\s+", " ");
        } catch (IOException | RuntimeException e) {
            return "MemTotal unknown";
        }
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    void add(String variant, double value) {
        raw.computeIfAbsent(variant, k -> new ArrayList<>()).add(value);
        System.out.printf(Locale.ROOT, "  %-40s %,14.1f %s   (load %s)%n", variant, value, unit, loadAverage());
    }

    void endRound(int round) {
        String l = loadAverage();
        loads.add(l);
        System.out.printf(Locale.ROOT, "  -- round %d done, load average %s%n", round, l);
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    /** Per-round ratios a/b (paired, same round), then their median. */
    double pairedRatio(String a, String b) {
        List<Double> x = raw.get(a);
        List<Double> y = raw.get(b);
        List<Double> r = new ArrayList<>();
        for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
            r.add(x.get(i) / y.get(i));
        }
        return median(r);
    }

    void print(String[][] ratios) {
        System.out.println();
        System.out.println("| variant | median " + unit + " | raw (per round) |");
        System.out.println("|---|---:|---|");
        raw.forEach((k, v) -> System.out.printf(Locale.ROOT, "| %s | %,.1f | %s |%n", k, median(v),
                Arrays.toString(v.stream().mapToLong(Math::round).toArray())));
        System.out.println();
        if (ratios.length > 0) {
            System.out.println("| ratio | median of per-round ratios | ratio of medians |");
            System.out.println("|---|---:|---:|");
            for (String[] p : ratios) {
                if (!raw.containsKey(p[0]) || !raw.containsKey(p[1])) {
                    continue;
                }
                System.out.printf(Locale.ROOT, "| %s / %s | %.3f | %.3f |%n", p[0], p[1], pairedRatio(p[0], p[1]),
                        median(raw.get(p[0])) / median(raw.get(p[1])));
            }
        }
        System.out.println();
        System.out.println("- load averages after each round: " + loads);
        System.out.println();
    }

    static int intArg(String[] args, String name, int dflt) {
        for (String a : args) {
            if (a.startsWith(name + "=")) {
                return Integer.parseInt(a.substring(name.length() + 1).replace("_", ""));
            }
        }
        return dflt;
    }

    static String stringArg(String[] args, String name, String dflt) {
        for (String a : args) {
            if (a.startsWith(name + "=")) {
                return a.substring(name.length() + 1);
            }
        }
        return dflt;
    }
}
