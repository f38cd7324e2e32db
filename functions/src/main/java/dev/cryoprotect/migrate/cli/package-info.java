/**
 * The local {@code migrate} command line (picocli): thin adapters that turn options into core calls and result
 * records into text or JSON, plus the embedded PostgreSQL used when no database URL is given.
 */
package dev.cryoprotect.migrate.cli;
