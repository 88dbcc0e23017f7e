/**
 * The Kill Bill calls whose Java signatures differ between Kill Bill lines, as one interface,
 * {@link io.github.meterstream.killbill.line.KillbillLine}; each line implements it in its own module,
 * compiled against that line's killbill-api ({@code kb022}, {@code kb024}).
 */
package io.github.meterstream.killbill.line;
