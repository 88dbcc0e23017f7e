/** The Kill Bill calls as Kill Bill 0.22 (killbill-api 0.53) declares them: days and whole amounts. */
package io.github.meterstream.killbill.line.kb022;
