package io.github.meterstream.core.usage.internal;

import jakarta.validation.Constraint;
import jakarta.validation.Payload;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A usage message names exactly one subscription (by id, by external key, or by the key's alias)
 * and exactly one tenant (by id or by API key). Each broken half is reported on the field a person
 * has to change.
 */
@Documented
@Constraint(validatedBy = OneSubscriptionOneTenantValidator.class)
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
public @interface OneSubscriptionOneTenant {

    String message() default "must name exactly one subscription and exactly one tenant";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};
}
