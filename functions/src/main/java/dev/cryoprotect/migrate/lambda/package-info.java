/**
 * The AWS Lambda handlers (one class per function, named as in template.yaml) and what a container keeps between
 * invokes: the wiring, structured logs and run reports. A handler only maps its event into a request for one
 * {@link dev.cryoprotect.migrate.wiring.Wiring} verb and the {@link dev.cryoprotect.migrate.wiring.Outcome} into a
 * response. {@link dev.cryoprotect.migrate.lambda.LocalInvoke} runs them here for {@code migrate invoke}.
 */
package dev.cryoprotect.migrate.lambda;
