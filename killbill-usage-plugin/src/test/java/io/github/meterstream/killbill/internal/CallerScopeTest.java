package io.github.meterstream.killbill.internal;

import io.github.meterstream.killbill.fakes.Fake;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.killbill.billing.ErrorCode;
import org.killbill.billing.security.Logical;
import org.killbill.billing.security.Permission;
import org.killbill.billing.security.SecurityApiException;
import org.killbill.billing.security.api.SecurityApi;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("Who may see which tenants on /plugins/meterstream/status")
class CallerScopeTest {

    static final UUID T1 = UUID.fromString("11111111-1111-1111-1111-111111111111");
    static final UUID T2 = UUID.fromString("22222222-2222-2222-2222-222222222222");

    /** The subject Kill Bill's Shiro filter bound to the request: logged in or not, holding these permissions. */
    static final class Subject {
        final boolean authenticated;
        final List<Permission> held;
        final List<List<Permission>> asked = new ArrayList<>();

        Subject(boolean authenticated, Permission... held) {
            this.authenticated = authenticated;
            this.held = List.of(held);
        }

        @SuppressWarnings("unchecked")
        Supplier<SecurityApi> api() {
            return () -> Fake.of(SecurityApi.class,
                    "isSubjectAuthenticated", authenticated,
                    "checkCurrentUserPermissions", (Fake.Answer) a -> {
                        List<Permission> wanted = (List<Permission>) a[0];
                        asked.add(wanted);
                        assertThat(a[1]).isEqualTo(Logical.AND);
                        assertThat(a[2]).as("Kill Bill's API does not accept a null context").isNotNull();
                        if (!authenticated || !held.containsAll(wanted)) {
                            throw new SecurityApiException(ErrorCode.SECURITY_NOT_ENOUGH_PERMISSIONS);
                        }
                        return null;
                    });
        }
    }

    static final Subject ANONYMOUS = new Subject(false);
    static final Subject ADMIN = new Subject(true, Permission.TENANT_CAN_CREATE);

    static CallerScope resolve(UUID verifiedTenant, boolean headers, String tenantParam, Supplier<SecurityApi> api) {
        return CallerScope.resolve(Optional.ofNullable(verifiedTenant), headers, Optional.ofNullable(tenantParam), api);
    }

    @Test
    @DisplayName("a verified tenant sees only itself, whatever ?tenant= asks, without asking the security API")
    void verifiedTenant() {
        Supplier<SecurityApi> untouched = () -> {
            throw new AssertionError("a verified tenant needs no subject");
        };
        CallerScope s = resolve(T1, true, T2.toString(), untouched);
        assertThat(s.allowed()).isTrue();
        assertThat(s.tenantId()).isEqualTo(T1.toString());
    }

    @Test
    @DisplayName("tenant headers Kill Bill did not verify (wrong secret, unknown key) are 401, even for an admin subject")
    void unverifiedTenantHeaders() {
        CallerScope s = resolve(null, true, null, ADMIN.api());
        assertThat(s.allowed()).isFalse();
        assertThat(s.refusalStatus()).isEqualTo(401);
        assertThat(s.refusalBody()).containsEntry("error", "invalid tenant credentials");
        assertThat(s.tenantId()).isNull();
    }

    @Test
    @DisplayName("no credentials, or Basic credentials Kill Bill refused, are 401, also with ?tenant=")
    void anonymous() {
        assertThat(resolve(null, false, null, ANONYMOUS.api()).refusalStatus()).isEqualTo(401);
        CallerScope withParam = resolve(null, false, T2.toString(), ANONYMOUS.api());
        assertThat(withParam.allowed()).isFalse();
        assertThat(withParam.refusalStatus()).isEqualTo(401);
    }

    @Test
    @DisplayName("a logged-in user without tenant:create is 403")
    void userWithoutAdminPermission() {
        Subject user = new Subject(true, Permission.ACCOUNT_CAN_CREATE);
        CallerScope s = resolve(null, false, T2.toString(), user.api());
        assertThat(s.allowed()).isFalse();
        assertThat(s.refusalStatus()).isEqualTo(403);
        assertThat(user.asked).containsExactly(List.of(Permission.TENANT_CAN_CREATE));
    }

    @Test
    @DisplayName("an admin sees every tenant, or the one ?tenant= names")
    void admin() {
        CallerScope all = resolve(null, false, null, ADMIN.api());
        assertThat(all.allowed()).isTrue();
        assertThat(all.tenantId()).isNull();
        assertThat(resolve(null, false, "  ", ADMIN.api()).tenantId()).isNull();
        assertThat(resolve(null, false, T2.toString().toUpperCase(), ADMIN.api()).tenantId()).isEqualTo(T2.toString());
    }

    @Test
    @DisplayName("an admin's ?tenant= that is not a tenant id is 400, not every tenant")
    void adminWithBadTenantParam() {
        CallerScope s = resolve(null, false, "bob", ADMIN.api());
        assertThat(s.allowed()).isFalse();
        assertThat(s.refusalStatus()).isEqualTo(400);
    }

    @Test
    @DisplayName("a security API that is unavailable or fails is 503, never the admin view")
    void securityApiUnavailable() {
        Supplier<SecurityApi> missing = () -> {
            throw new IllegalStateException("no SecurityApi service");
        };
        Supplier<SecurityApi> failing = () -> Fake.of(SecurityApi.class, "isSubjectAuthenticated", (Fake.Answer) a -> {
            throw new IllegalStateException("no SecurityManager bound to this thread");
        });
        for (Supplier<SecurityApi> api : List.of(missing, failing)) {
            CallerScope s = resolve(null, false, null, api);
            assertThat(s.allowed()).isFalse();
            assertThat(s.refusalStatus()).isEqualTo(503);
            assertThat(s.tenantId()).isNull();
        }
    }
}
