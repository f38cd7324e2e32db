package dev.cryoprotect.migrate.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.MigrateException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@code sam local invoke --env-vars} file: {@code Parameters} for every function, then a section per function
 * (its logical id) over it. Read here as the function would see it inside SAM's container: {@code host.docker.internal}
 * is this machine, and {@code /var/task/} (where the build puts the migrations folder) is the working folder.
 */
final class SamEnvVars {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SamEnvVars() {
    }

    static Map<String, String> read(Path file, String function) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw MigrateException.badInput("cannot read the --env-vars file " + file + ": " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw MigrateException.badInput(file + " must be a JSON object of sections (Parameters, or a function's"
                    + " logical id) of variables, as sam local invoke --env-vars takes it");
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (String section : new String[]{"Parameters", function}) {
            JsonNode variables = root.path(section);
            if (variables.isMissingNode()) {
                continue;
            }
            if (!variables.isObject()) {
                throw MigrateException.badInput(file + ": section " + section + " must be an object of variables");
            }
            variables.fields().forEachRemaining(v -> {
                if (!v.getValue().isValueNode()) {
                    throw MigrateException.badInput(file + ": " + section + "." + v.getKey() + " must be a string");
                }
                env.put(v.getKey(), asOnThisMachine(v.getValue().asText()));
            });
        }
        return env;
    }

    private static String asOnThisMachine(String value) {
        String local = value.replace("host.docker.internal", "127.0.0.1");
        return local.startsWith("/var/task/") ? local.substring("/var/task/".length()) : local;
    }
}
