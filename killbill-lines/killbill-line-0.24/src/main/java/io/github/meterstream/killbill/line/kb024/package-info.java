/** The Kill Bill calls as Kill Bill 0.24 (killbill-api 0.54) declares them: instants and decimal amounts. */
package io.github.meterstream.killbill.line.kb024;
