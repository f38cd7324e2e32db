/**
 * The Convex target over Convex's HTTP API: a small OkHttp client with the {@code convex_encoded_json} value codec,
 * and {@link dev.cryoprotect.migrate.target.convex.ConvexTarget}, which drives the internal functions in
 * {@code convex/migrations/runner.ts} (history, recorded inverse, lease lock, batched progress, dry run).
 */
package dev.cryoprotect.migrate.target.convex;
