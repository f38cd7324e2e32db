/**
 * The {@code migrate} program's entry point: the only place that knows both edges, binding the CLI's
 * {@code invoke} to the Lambda handlers.
 */
package dev.cryoprotect.migrate.app;
