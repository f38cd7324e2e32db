/**
 * The local {@code migrate} command line (picocli), one class per command: each maps its options into
 * {@link dev.cryoprotect.migrate.wiring.Settings}, runs one {@link dev.cryoprotect.migrate.wiring.Wiring} verb and
 * prints the outcome as text or JSON. Falls back on the local databases when none is configured.
 */
package dev.cryoprotect.migrate.cli;
