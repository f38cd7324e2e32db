package dev.cryoprotect.migrate.model;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** What happened to one migration in a run; JSON and logs spell it in lower case ({@code would_apply}). */
public enum StepOutcome {
    APPLIED, ROLLED_BACK, WOULD_APPLY, WOULD_ROLL_BACK, SKIPPED, FAILED, BASELINED, CHECKSUM_UPDATED;

    @JsonValue
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return id();
    }
}
