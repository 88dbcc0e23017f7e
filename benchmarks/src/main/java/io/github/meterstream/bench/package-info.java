/**
 * The benchmarks of docs/BENCHMARKS.md: each class is one benchmark, run with
 * {@code -Pbench -Dbench=<name>}; ratios are measured side by side in one run.
 */
package io.github.meterstream.bench;
