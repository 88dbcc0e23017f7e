package io.github.meterstream.core.usage.internal;

import jakarta.validation.Constraint;
import jakarta.validation.Payload;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The annotated {@code BigDecimal}, when present, fits Kill Bill's {@code decimal(18,9)}: at most
 * 9 integer and 9 fraction digits, counted on its value. Not {@code @Digits}, which counts the
 * digits as written and would refuse {@code 1.0000000000} although it is 1 (the JSON Schema's
 * {@code multipleOf} accepts it).
 */
@Documented
@Constraint(validatedBy = KillBillDecimalValidator.class)
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
public @interface KillBillDecimal {

    String message() default "must fit Kill Bill's decimal(18,9): at most 9 digits before and 9 after the decimal point";

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};
}
