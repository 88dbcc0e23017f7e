/**
 * What an adapter is tested with: {@link io.github.meterstream.testkit.BrokerSourceCompatibilityKit}
 * (extend it in about twenty lines to prove an adapter keeps the SPI specification), an in-memory
 * broker and source that pass the same kit (for pipeline tests and examples), and fault tools
 * ({@link io.github.meterstream.testkit.TcpFaultProxy}, {@link io.github.meterstream.testkit.FaultSoak}).
 */
package io.github.meterstream.testkit;
