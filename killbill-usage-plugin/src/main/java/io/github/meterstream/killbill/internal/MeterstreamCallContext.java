package io.github.meterstream.killbill.internal;

import org.joda.time.DateTime;
import org.joda.time.DateTimeZone;
import org.killbill.billing.util.callcontext.CallContext;
import org.killbill.billing.util.callcontext.CallOrigin;
import org.killbill.billing.util.callcontext.UserType;

import java.time.Instant;
import java.util.UUID;

/** The context of the plugin's Kill Bill calls: internal origin, admin user, the message's tenant. */
final class MeterstreamCallContext implements CallContext {

    static final String USER_NAME = "meterstream";

    private final UUID tenantId;
    private final UUID userToken = UUID.randomUUID();
    private final String comments;
    private final DateTime now;

    MeterstreamCallContext(UUID tenantId, Instant now, String comments) {
        this.tenantId = tenantId;
        this.comments = comments;
        this.now = new DateTime(now.toEpochMilli(), DateTimeZone.UTC);
    }

    @Override
    public UUID getUserToken() {
        return userToken;
    }

    @Override
    public String getUserName() {
        return USER_NAME;
    }

    @Override
    public CallOrigin getCallOrigin() {
        return CallOrigin.INTERNAL;
    }

    @Override
    public UserType getUserType() {
        return UserType.ADMIN;
    }

    @Override
    public String getReasonCode() {
        return null;
    }

    @Override
    public String getComments() {
        return comments;
    }

    @Override
    public DateTime getCreatedDate() {
        return now;
    }

    @Override
    public DateTime getUpdatedDate() {
        return now;
    }

    @Override
    public UUID getAccountId() {
        return null;
    }

    @Override
    public UUID getTenantId() {
        return tenantId;
    }
}
