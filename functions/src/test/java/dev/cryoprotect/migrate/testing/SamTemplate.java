package dev.cryoprotect.migrate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The repository's template.yaml as a JSON tree, for tests that check what the handlers and the template must agree
 * on. CloudFormation's short tags ({@code !Ref X}) are read as their plain values ({@code X}).
 */
public final class SamTemplate {
    private static final Path FILE = Path.of("..", "template.yaml");

    private SamTemplate() {
    }

    public static JsonNode read() {
        try {
            return new ObjectMapper(new YAMLFactory()).readTree(FILE.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + FILE, e);
        }
    }

    /** A function's properties (Handler, Events, ...). */
    public static JsonNode function(String name) {
        JsonNode function = read().path("Resources").path(name);
        if (!"AWS::Serverless::Function".equals(function.path("Type").asText())) {
            throw new IllegalArgumentException(name + " is not a function in " + FILE);
        }
        return function.path("Properties");
    }

    /** A parameter's default value. */
    public static String parameterDefault(String name) {
        return read().path("Parameters").path(name).path("Default").asText();
    }
}
