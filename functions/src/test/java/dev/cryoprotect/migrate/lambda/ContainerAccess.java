package dev.cryoprotect.migrate.lambda;

import java.util.Map;
import java.util.function.Consumer;

/** Builds a function container for tests in other packages. */
public final class ContainerAccess {
    private ContainerAccess() {
    }

    public static Container container(Map<String, String> environment, Consumer<String> logLines) {
        return new Container(environment, logLines);
    }
}
