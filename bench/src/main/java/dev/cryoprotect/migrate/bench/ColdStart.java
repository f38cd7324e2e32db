package dev.cryoprotect.migrate.bench;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;

/**
 * Runs in a fresh JVM whose classpath is the Lambda jar plus this class: {@code ColdStart HANDLER EVENT cold|restored}.
 * <ul>
 *   <li>{@code cold}: as a function without SnapStart: the init phase (load the handler, construct it) and the first
 *       invoke, timed from the JVM's start.</li>
 *   <li>{@code restored}: as the first invoke after a SnapStart restore: the init phase and the priming hook run first
 *       (what the snapshot holds), then only the first invoke is timed. Lambda's own restore of the snapshot (mapping
 *       the memory back) cannot be simulated here and is not included.</li>
 * </ul>
 * Prints {@code INIT_MS}, {@code FIRST_INVOKE_MS} and {@code TOTAL_MS} (from JVM start).
 */
public final class ColdStart {
    private ColdStart() {
    }

    public static void main(String[] args) throws Exception {
        long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
        RequestStreamHandler handler = (RequestStreamHandler) Class.forName(args[0]).getDeclaredConstructor().newInstance();
        if (args.length > 2 && args[2].equals("restored")) {
            Method warm = Class.forName("dev.cryoprotect.migrate.lambda.Priming").getDeclaredMethod("warm");
            warm.setAccessible(true);
            warm.invoke(null); // SnapStart's beforeCheckpoint: what the snapshot was taken after
        }
        long initDone = System.currentTimeMillis();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long invokeStart = System.nanoTime();
        handler.handleRequest(new ByteArrayInputStream(args[1].getBytes(StandardCharsets.UTF_8)), out, null);
        long firstInvokeMs = (System.nanoTime() - invokeStart) / 1_000_000;
        long total = System.currentTimeMillis() - jvmStart;
        String response = out.toString(StandardCharsets.UTF_8);
        System.out.println("COLDSTART_MS " + total + " INIT_MS " + (initDone - jvmStart) + " FIRST_INVOKE_MS "
                + firstInvokeMs + " RESPONSE_BYTES " + response.length()
                + (response.contains("\"migrations\"") ? " OK" : " BAD " + response));
    }
}
