package io.github.meterstream.bench;

import java.util.Arrays;

/**
 * Entry point: {@code Bench NAME [args]}. Each benchmark runs its variants side by side, interleaved,
 * for several rounds in one JVM, and prints raw numbers, medians and ratios (docs/BENCHMARKS.md).
 */
public final class Bench {

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: Bench overhead-kafka|overhead-rabbitmq|overhead-activemq|slow-downstream|"
                    + "idempotency|jmh|memory-inflight|memory-backlog [args]");
            System.exit(2);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        Report.header(args[0], rest);
        switch (args[0]) {
            case "overhead-kafka":
                KafkaOverhead.run(rest);
                break;
            case "overhead-rabbitmq":
                RabbitMqOverhead.run(rest);
                break;
            case "overhead-activemq":
                ActiveMqOverhead.run(rest);
                break;
            case "slow-downstream":
                SlowDownstream.run(rest);
                break;
            case "idempotency":
                IdempotencyCost.run(rest);
                break;
            case "jmh":
                org.openjdk.jmh.Main.main(rest.length == 0 ? new String[] {"IdempotencyStoreJmh", "-f", "1", "-wi", "2",
                        "-w", "1s", "-i", "5", "-r", "1s", "-tu", "us", "-bm", "avgt"} : rest);
                break;
            case "memory-inflight":
                MemoryInFlight.run(rest);
                break;
            case "memory-backlog":
                MemoryBacklog.run(rest);
                break;
            default:
                System.err.println("unknown benchmark " + args[0]);
                System.exit(2);
        }
        System.exit(0); // broker threads (Kafka, ActiveMQ) are not all daemons
    }
}
