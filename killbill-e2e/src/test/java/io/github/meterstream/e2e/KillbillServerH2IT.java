package io.github.meterstream.e2e;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;

@DisplayName("A real Kill Bill 0.22.26 on embedded H2")
class KillbillServerH2IT extends KillbillServerContract {
    @BeforeAll
    static void start() {
        startServer(KillbillServer.Database.H2);
    }
}
