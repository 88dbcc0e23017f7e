package io.github.meterstream.examples.relay;

/** The few statements that differ between PostgreSQL and H2. */
public enum Dialect {
    POSTGRESQL("INSERT INTO diagnostic_code (code) VALUES (?) ON CONFLICT (code) DO NOTHING"),
    H2("MERGE INTO diagnostic_code KEY (code) VALUES (?)");

    private final String insertDiagnosticCodeIfAbsent;

    Dialect(String insertDiagnosticCodeIfAbsent) {
        this.insertDiagnosticCodeIfAbsent = insertDiagnosticCodeIfAbsent;
    }

    /** Adds a code unless it is there; never a duplicate-key error, even when two instances add it at once. */
    String insertDiagnosticCodeIfAbsent() {
        return insertDiagnosticCodeIfAbsent;
    }

    static Dialect forUrl(String jdbcUrl) {
        return jdbcUrl.startsWith("jdbc:postgresql:") ? POSTGRESQL : H2;
    }
}
