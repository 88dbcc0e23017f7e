package io.github.meterstream.core.usage.internal;

import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;

/** Checks {@link IsoRecordDate}; a missing date is {@code @NotNull}'s business. */
public final class IsoRecordDateValidator implements ConstraintValidator<IsoRecordDate, String> {

    @Override
    public boolean isValid(String value, ConstraintValidatorContext context) {
        return value == null || RecordDates.parseOrNull(value) != null;
    }
}
