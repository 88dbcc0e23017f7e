package io.github.meterstream.e2e;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

/** Needs the PostgreSQL server at 127.0.0.1:5432 (user postgres, trust auth); fails when it is not there. */
@DisplayName("A real Kill Bill 0.22.26 on PostgreSQL (a fresh database per run)")
class KillbillServerPostgresIT extends KillbillServerContract {
    @BeforeAll
    static void start() {
        startServer(KillbillServer.Database.POSTGRESQL);
    }
}
