package io.github.meterstream.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The test catalog shipped in src/test/resources: plan {@value #PLAN}, units {@value #API_CALL} and {@value #GB_STORED}. */
public final class UsageCatalog {
    public static final String PLAN = "meter-monthly";
    public static final String API_CALL = "api-call";
    public static final String GB_STORED = "gb-stored";
    /** USD per {@value #API_CALL}. */
    public static final String API_CALL_PRICE = "0.01";
    /** USD per {@value #GB_STORED}. */
    public static final String GB_STORED_PRICE = "0.25";

    private UsageCatalog() {
    }

    public static String xml() {
        try (InputStream in = UsageCatalog.class.getResourceAsStream("/meterstream-e2e-catalog.xml")) {
            if (in == null) {
                throw new IllegalStateException("meterstream-e2e-catalog.xml missing from the test classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
