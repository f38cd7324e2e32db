/**
 * Result records the core returns (status reports, run results, their steps and errors). The CLI renders them as text
 * or JSON; the Lambda handlers return the same JSON.
 */
package dev.cryoprotect.migrate.report;
