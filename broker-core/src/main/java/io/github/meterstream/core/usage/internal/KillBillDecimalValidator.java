package io.github.meterstream.core.usage.internal;

import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;

import java.math.BigDecimal;

/** Checks {@link KillBillDecimal}. */
public final class KillBillDecimalValidator implements ConstraintValidator<KillBillDecimal, BigDecimal> {

    static final int INTEGER_DIGITS = 9;
    static final int FRACTION_DIGITS = 9;

    @Override
    public boolean isValid(BigDecimal value, ConstraintValidatorContext context) {
        if (value == null) {
            return true;
        }
        BigDecimal v = value.stripTrailingZeros();
        int fraction = Math.max(v.scale(), 0);
        int integer = v.precision() - v.scale();
        return fraction <= FRACTION_DIGITS && integer <= INTEGER_DIGITS;
    }
}
