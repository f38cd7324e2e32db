package dev.cryoprotect.migrate.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * template.yaml as CloudFormation receives it: translated by the real, pinned aws-sam-translator (installed once into
 * {@code .local/sam-translator} from PyPI), offline. What SAM properties become is not always what they read as; tests
 * assert on this output.
 */
public final class SamTranslator {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PACKAGES = List.of("aws-sam-translator==1.115.0", "PyYAML==6.0.2");
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private SamTranslator() {
    }

    /**
     * @param parameters template parameter values (the others take their defaults)
     * @param codeKey    names the packaged code: a different key is different code
     */
    public static synchronized JsonNode translate(Map<String, String> parameters, String codeKey) {
        Path python = ensureInstalled();
        try {
            Path script = Files.createTempFile("translate", ".py");
            try (var in = SamTranslator.class.getResourceAsStream("/sam/translate.py")) {
                Files.write(script, in.readAllBytes());
            }
            Process p = new ProcessBuilder(python.toString(), script.toString(), ROOT.resolve("template.yaml").toString(),
                    JSON.writeValueAsString(parameters), codeKey).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            byte[] out = p.getInputStream().readAllBytes();
            boolean ended = p.waitFor(120, TimeUnit.SECONDS);
            Files.delete(script);
            if (!ended || p.exitValue() != 0) {
                throw new IllegalStateException("the SAM translator failed on template.yaml: "
                        + new String(out, StandardCharsets.UTF_8));
            }
            return JSON.readTree(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Path ensureInstalled() {
        Path venv = ROOT.resolve(".local/sam-translator");
        Path python = venv.resolve("bin/python");
        if (Files.isExecutable(python)) {
            return python;
        }
        try {
            run(List.of("python3", "-m", "venv", venv.toString()));
            List<String> pip = new java.util.ArrayList<>(List.of(venv.resolve("bin/pip").toString(), "install", "-q"));
            pip.addAll(PACKAGES);
            run(pip);
            return python;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
        }
    }
}
