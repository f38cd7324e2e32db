package dev.cryoprotect.migrate.bench;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

/**
 * Runs in a fresh JVM whose classpath is the Lambda jar plus this class: loads a handler by name, answers one event,
 * and prints how long after the JVM's start the response was ready, as the Lambda runtime would see it.
 */
public final class ColdStart {
    private ColdStart() {
    }

    public static void main(String[] args) throws Exception {
        RequestStreamHandler handler = (RequestStreamHandler) Class.forName(args[0]).getDeclaredConstructor().newInstance();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        handler.handleRequest(new ByteArrayInputStream(args[1].getBytes(StandardCharsets.UTF_8)), out, null);
        long sinceStart = System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime();
        String response = out.toString(StandardCharsets.UTF_8);
        System.out.println("COLDSTART_MS " + sinceStart + " RESPONSE_BYTES " + response.length()
                + (response.contains("\"migrations\"") ? " OK" : " BAD " + response));
    }
}
