/** Benchmarks: commands that print figures (recorded in BENCHMARKS.md), never part of the deployable. */
package dev.cryoprotect.migrate.bench;
