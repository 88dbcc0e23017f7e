package io.github.meterstream.core.usage.internal;

import jakarta.validation.Constraint;
import jakarta.validation.Payload;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The annotated string, when present, is a date {@link RecordDates} can read. */
@Documented
@Constraint(validatedBy = IsoRecordDateValidator.class)
@Target(ElementType.FIELD)
@Retention(RetentionPolicy.RUNTIME)
public @interface IsoRecordDate {

    String message() default "must be " + RecordDates.SHAPE;

    Class<?>[] groups() default {};

    Class<? extends Payload>[] payload() default {};
}
