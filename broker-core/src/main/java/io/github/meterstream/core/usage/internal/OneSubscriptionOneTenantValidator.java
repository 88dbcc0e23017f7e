package io.github.meterstream.core.usage.internal;

import io.github.meterstream.core.usage.UsageMessage;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;

/** Checks {@link OneSubscriptionOneTenant}. Messages contain no braces: they are not templates. */
public final class OneSubscriptionOneTenantValidator implements ConstraintValidator<OneSubscriptionOneTenant, UsageMessage> {

    @Override
    public boolean isValid(UsageMessage m, ConstraintValidatorContext context) {
        if (m == null) {
            return true;
        }
        boolean valid = true;
        context.disableDefaultConstraintViolation();
        int subscriptions = count(m.subscriptionId(), m.subscriptionExternalKeyAsSent(), m.externalSubKeyAsSent());
        if (subscriptions == 0) {
            valid = violation(context, "subscriptionExternalKey",
                    "is required: name the subscription by subscriptionExternalKey (alias externalSubKey) or by subscriptionId");
        } else if (m.subscriptionExternalKeyAsSent() != null && m.externalSubKeyAsSent() != null) {
            valid = violation(context, "externalSubKey", "is ambiguous: externalSubKey is an alias of subscriptionExternalKey "
                    + "and both are given; send only subscriptionExternalKey");
        } else if (subscriptions > 1) {
            valid = violation(context, "subscriptionId", "is ambiguous: both subscriptionId and subscriptionExternalKey are "
                    + "given; send exactly one of them");
        }
        int tenants = count(m.tenantId(), m.apiKey(), null);
        if (tenants == 0) {
            valid = violation(context, "tenantId", "is required: name the tenant by tenantId or by apiKey");
        } else if (tenants > 1) {
            valid = violation(context, "apiKey", "is ambiguous: both tenantId and apiKey are given; send exactly one of them");
        }
        return valid;
    }

    private static int count(String a, String b, String c) {
        return (a == null ? 0 : 1) + (b == null ? 0 : 1) + (c == null ? 0 : 1);
    }

    private static boolean violation(ConstraintValidatorContext context, String property, String message) {
        context.buildConstraintViolationWithTemplate(message).addPropertyNode(property).addConstraintViolation();
        return false;
    }
}
