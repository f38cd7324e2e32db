/**
 * The composition root both edges share: {@link dev.cryoprotect.migrate.wiring.Settings} (read from the environment
 * in one place), {@link dev.cryoprotect.migrate.wiring.Wiring} (builds sources, targets, orchestrator and sync, and
 * runs the verbs) and {@link dev.cryoprotect.migrate.wiring.Outcome} (the one JSON shape of every result).
 */
package dev.cryoprotect.migrate.wiring;
