/**
 * A small client for Convex's HTTP API (there is no Java Convex client): {@code POST /api/query|mutation|action}
 * with the {@code convex_encoded_json} value codec, deploy-key auth, retries with backoff and typed errors.
 */
package dev.cryoprotect.migrate.convex;
