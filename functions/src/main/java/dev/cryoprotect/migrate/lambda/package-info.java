/**
 * The AWS Lambda handlers (one class per function, named as in template.yaml) and what they share per container:
 * configuration from the environment, secrets, the S3 migration source, structured logs and run reports. Handlers
 * only turn an event into an {@link dev.cryoprotect.migrate.Orchestrator} call and its result into a response.
 */
package dev.cryoprotect.migrate.lambda;
