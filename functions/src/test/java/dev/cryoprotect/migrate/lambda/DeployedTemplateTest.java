package dev.cryoprotect.migrate.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cryoprotect.migrate.testing.SamTranslator;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a deploy creates: template.yaml translated by the real SAM translator into CloudFormation, with the parameter
 * values a user would give, and the conditions and substitutions that depend on them evaluated as CloudFormation
 * would.
 */
class DeployedTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DB = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db";
    private static final List<String> FUNCTIONS = List.of("MigrationStatus", "ApplyMigrations", "RollbackMigrations",
            "CreateMigration", "SyncData", "UniversalRunsApi", "SyncRangeWorker");

    private static JsonNode deploy(Map<String, String> parameters, String codeKey) {
        Map<String, String> all = new HashMap<>(Map.of("DatabaseSecretArn", DB));
        all.putAll(parameters);
        return SamTranslator.translate(all, codeKey);
    }

    @Test
    void theSyncScheduleIsOffUnlessEnabledAndNeverRetried() {
        JsonNode byDefault = deploy(Map.of(), "code-a");
        JsonNode rule = only(byDefault, "AWS::Events::Rule");
        assertEquals("DISABLED", evaluate(byDefault, Map.of(), rule.path("Properties").path("State")),
                "the default SyncScheduleEnabled=false deploys a disabled schedule");
        Map<String, String> on = Map.of("SyncScheduleEnabled", "true");
        JsonNode enabled = deploy(on, "code-a");
        assertEquals("ENABLED", evaluate(enabled, on, only(enabled, "AWS::Events::Rule").path("Properties").path("State")));
        JsonNode target = rule.path("Properties").path("Targets").get(0);
        assertEquals(0, target.path("RetryPolicy").path("MaximumRetryAttempts").asInt(-1));
        assertTrue(target.path("DeadLetterConfig").has("Arn"), target.toString());

        JsonNode sync = byDefault.path("Resources").path("SyncData").path("Properties");
        assertEquals(1, sync.path("ReservedConcurrentExecutions").asInt());
        JsonNode invokeConfig = only(byDefault, "AWS::Lambda::EventInvokeConfig").path("Properties");
        assertEquals(0, invokeConfig.path("MaximumRetryAttempts").asInt(-1));
        assertEquals("SyncFailuresQueue", invokeConfig.path("DestinationConfig").path("OnFailure").path("Destination")
                .path("Fn::GetAtt").get(0).asText());
    }

    @Test
    void aChangedParameterReachesTheFunctionsWithoutANewVersionAndChangedCodePublishesOne() {
        Map<String, String> first = Map.of("ConvexUrl", "https://happy-otter-123.convex.cloud");
        Map<String, String> second = Map.of("ConvexUrl", "https://brave-lion-456.convex.cloud");
        JsonNode a = deploy(first, "code-a");
        JsonNode b = deploy(second, "code-a");
        JsonNode c = deploy(first, "code-b");
        // The functions' environment holds nothing a parameter sets: a published version cannot freeze a stale value.
        for (String function : FUNCTIONS) {
            JsonNode env = a.path("Resources").path(function).path("Properties").path("Environment").path("Variables");
            for (Iterator<Map.Entry<String, JsonNode>> it = env.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> variable = it.next();
                assertFalse(refersToAParameter(a, variable.getValue()), function + "'s " + variable.getKey()
                        + " depends on a parameter: " + variable.getValue());
            }
        }
        // The parameter reaches them through RuntimeSettings, which the functions read at run time.
        String settingsA = evaluate(a, first, a.path("Resources").path("RuntimeSettings").path("Properties")
                .path("SecretString"));
        String settingsB = evaluate(b, second, b.path("Resources").path("RuntimeSettings").path("Properties")
                .path("SecretString"));
        assertTrue(settingsA.contains("\"CONVEX_URL\": \"https://happy-otter-123.convex.cloud\""), settingsA);
        assertTrue(settingsB.contains("\"CONVEX_URL\": \"https://brave-lion-456.convex.cloud\""), settingsB);
        assertTrue(settingsA.contains("\"DATABASE_SECRET_ARN\": \"" + DB + "\"") && settingsA.contains(
                "\"LAMBDA_IN_VPC\": \"false\""), settingsA);
        try {
            JSON.readTree(settingsA);
        } catch (IOException e) {
            throw new AssertionError("RuntimeSettings is not JSON: " + settingsA, e);
        }
        for (String function : FUNCTIONS) {
            assertEquals(version(a, function), version(b, function), function + ": same code, same version");
            assertNotEquals(version(a, function), version(c, function), function + ": new code, new version");
            JsonNode alias = a.path("Resources").path(function + "Aliaslive").path("Properties");
            assertEquals(version(a, function), alias.path("FunctionVersion").path("Fn::GetAtt").get(0).asText(),
                    function + ": the live alias points at the published version");
        }
    }

    @Test
    void theStateMachineCallsTheLiveAliasesNotifiesAndLogsWithLeastPrivilege() {
        JsonNode cfn = deploy(Map.of(), "code-a");
        JsonNode machine = cfn.path("Resources").path("UniversalStateMachine").path("Properties");
        JsonNode substitutions = machine.path("DefinitionSubstitutions");
        for (String function : List.of("MigrationStatus", "ApplyMigrations", "RollbackMigrations", "SyncData")) {
            assertEquals(function + "Aliaslive", substitutions.path(function + "Arn").path("Ref").asText(),
                    substitutions.toString());
        }
        assertEquals("RunFailedTopic", substitutions.path("RunFailedTopicArn").path("Ref").asText());
        assertEquals("CompensationFailedTopic", substitutions.path("CompensationFailedTopicArn").path("Ref").asText());
        assertTrue(machine.path("TracingConfiguration").path("Enabled").asBoolean());
        String role = cfn.path("Resources").path("UniversalStateMachineRole").toString();
        assertFalse(role.contains("CloudWatchLogsFullAccess") || role.contains("\"logs:*\""), role);
        assertTrue(role.contains("logs:CreateLogDelivery") && role.contains("sns:Publish"), role);
        JsonNode sync = cfn.path("Resources").path("SyncStateMachine").path("Properties");
        assertEquals("SyncDataAliaslive", sync.path("DefinitionSubstitutions").path("SyncDataArn").path("Ref").asText());
        String syncRole = cfn.path("Resources").path("SyncStateMachineRole").toString();
        assertTrue(syncRole.contains("states:StartExecution") && syncRole.contains("-sync/*"),
                "the Distributed Map may start its child executions: " + syncRole);
    }

    @Test
    void everyFunctionTracesLogsReportLinesAndReadsOnlyWhatItNeeds() {
        JsonNode cfn = deploy(Map.of(), "code-a");
        for (String function : FUNCTIONS) {
            JsonNode props = cfn.path("Resources").path(function).path("Properties");
            assertEquals("Active", props.path("TracingConfig").path("Mode").asText(), function);
            assertEquals("INFO", props.path("LoggingConfig").path("SystemLogLevel").asText(),
                    function + ": WARN would drop Lambda's REPORT lines");
            String role = cfn.path("Resources").path(function + "Role").toString();
            assertTrue(role.contains("RuntimeSettings"), function + " may read its runtime settings");
        }
        String createRole = cfn.path("Resources").path("CreateMigrationRole").toString();
        assertTrue(createRole.contains("/drafts/*"), createRole);
        assertFalse(createRole.matches(".*s3:PutObject[^}]*migrations/\\*.*"), "CreateMigration cannot write live migrations: "
                + createRole);
        String ciPolicy = cfn.path("Resources").path("CiInvokePolicy").toString();
        assertTrue(ciPolicy.contains("/POST/runs") && ciPolicy.contains("/GET/runs/*"), ciPolicy);
        Set<String> outputs = new TreeSet<>();
        cfn.path("Outputs").fieldNames().forEachRemaining(outputs::add);
        assertTrue(outputs.containsAll(Set.of("ApiUrl", "CiInvokePolicyArn", "RunFailedTopicArn",
                "CompensationFailedTopicArn", "StateMachineArn")), outputs.toString());
        List<String> alarms = new ArrayList<>();
        cfn.path("Resources").fields().forEachRemaining(r -> {
            if (r.getValue().path("Type").asText().equals("AWS::CloudWatch::Alarm")) {
                alarms.add(r.getValue().path("Properties").path("MetricName").asText());
            }
        });
        assertEquals(List.of("Errors", "ExecutionsFailed", "ExecutionsFailed", "MigrationStepsFailed"),
                alarms.stream().sorted().toList(), "a failed universal run and a failed sync run each have one");
    }

    /** `sam build` runs make's build-NAME for each function: a function without its target fails the build. */
    @Test
    void everyFunctionIsBuiltByTheMakefileAndRunsLocally() throws IOException {
        JsonNode cfn = deploy(Map.of(), "code-a");
        Set<String> deployed = new TreeSet<>();
        cfn.path("Resources").fields().forEachRemaining(r -> {
            if (r.getValue().path("Type").asText().equals("AWS::Lambda::Function")) {
                deployed.add(r.getKey());
            }
        });
        assertEquals(new TreeSet<>(FUNCTIONS), deployed);
        String makefile = java.nio.file.Files.readString(java.nio.file.Path.of("..", "Makefile"));
        for (String function : FUNCTIONS) {
            assertTrue(java.util.regex.Pattern.compile("(?m)^[^#\\n]*\\bbuild-" + function + "\\b[^\\n]*:").matcher(
                    makefile.replace("\\\n", " ")).find(), "the Makefile has no build-" + function + " target");
        }
        assertEquals(new TreeSet<>(FUNCTIONS), new TreeSet<>(new LocalInvoke().names()), "migrate invoke knows each");
        String rule = cfn.path("Resources").path("SyncDataSchedule").toString();
        assertTrue(rule.contains("SyncFailuresQueue"), "undeliverable scheduled events go to the failures queue: " + rule);
    }

    @Test
    void aVpcIsUsedOnlyWhenSubnetsAreGiven() {
        JsonNode none = deploy(Map.of(), "code-a");
        Map<String, String> vpc = Map.of("VpcSubnetIds", "subnet-1,subnet-2", "VpcSecurityGroupIds", "sg-1");
        JsonNode with = deploy(vpc, "code-a");
        JsonNode config = with.path("Resources").path("ApplyMigrations").path("Properties").path("VpcConfig");
        assertEquals("HasVpc", config.path("Fn::If").get(0).asText());
        assertTrue(evaluateCondition(with, vpc, "HasVpc"));
        assertFalse(evaluateCondition(none, Map.of(), "HasVpc"));
        String settings = evaluate(with, vpc, with.path("Resources").path("RuntimeSettings").path("Properties")
                .path("SecretString"));
        assertTrue(settings.contains("\"LAMBDA_IN_VPC\": \"true\""), settings);
    }

    // ---- CloudFormation's evaluation of the few intrinsics these assertions need --------------------------------

    private static JsonNode only(JsonNode cfn, String type) {
        List<JsonNode> found = new ArrayList<>();
        cfn.path("Resources").elements().forEachRemaining(r -> {
            if (r.path("Type").asText().equals(type)) {
                found.add(r);
            }
        });
        assertEquals(1, found.size(), "one " + type);
        return found.get(0);
    }

    private static String version(JsonNode cfn, String function) {
        List<String> ids = new ArrayList<>();
        cfn.path("Resources").fields().forEachRemaining(r -> {
            if (r.getValue().path("Type").asText().equals("AWS::Lambda::Version")
                    && r.getKey().startsWith(function + "Version")) {
                ids.add(r.getKey());
            }
        });
        assertEquals(1, ids.size(), function + ": one published version");
        return ids.get(0);
    }

    private static boolean refersToAParameter(JsonNode cfn, JsonNode value) {
        if (value.isObject() && value.has("Ref")) {
            return cfn.path("Parameters").has(value.get("Ref").asText());
        }
        if (value.isContainerNode()) {
            for (JsonNode child : value) {
                if (refersToAParameter(cfn, child)) {
                    return true;
                }
            }
        }
        return value.isTextual() && value.asText().contains("${") && cfn.path("Parameters").fieldNames().hasNext()
                && parameterNames(cfn).stream().anyMatch(p -> value.asText().contains("${" + p + "}"));
    }

    private static List<String> parameterNames(JsonNode cfn) {
        List<String> names = new ArrayList<>();
        cfn.path("Parameters").fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static String parameter(JsonNode cfn, Map<String, String> given, String name) {
        if (given.containsKey(name)) {
            return given.get(name);
        }
        if (name.equals("DatabaseSecretArn")) {
            return DB;
        }
        JsonNode parameter = cfn.path("Parameters").path(name);
        assertTrue(parameter.has("Default"), name + " has no default and was not given");
        return parameter.get("Default").asText();
    }

    private static boolean evaluateCondition(JsonNode cfn, Map<String, String> given, String name) {
        return Boolean.parseBoolean(evaluate(cfn, given, cfn.path("Conditions").path(name)));
    }

    /** Ref (parameters), Fn::Equals, Fn::Not, Fn::If, Fn::Join, Fn::Sub (with a variable map) on strings. */
    private static String evaluate(JsonNode cfn, Map<String, String> given, JsonNode node) {
        if (node.isTextual() || node.isBoolean() || node.isNumber()) {
            return node.asText();
        }
        if (node.has("Ref")) {
            return parameter(cfn, given, node.get("Ref").asText());
        }
        if (node.has("Fn::Equals")) {
            return String.valueOf(evaluate(cfn, given, node.get("Fn::Equals").get(0))
                    .equals(evaluate(cfn, given, node.get("Fn::Equals").get(1))));
        }
        if (node.has("Fn::Not")) {
            return String.valueOf(!Boolean.parseBoolean(evaluate(cfn, given, node.get("Fn::Not").get(0))));
        }
        if (node.has("Fn::If")) {
            JsonNode branches = node.get("Fn::If");
            return evaluate(cfn, given, evaluateCondition(cfn, given, branches.get(0).asText()) ? branches.get(1)
                    : branches.get(2));
        }
        if (node.has("Fn::Join")) {
            JsonNode join = node.get("Fn::Join");
            JsonNode list = join.get(1);
            List<String> parts = new ArrayList<>();
            if (list.has("Ref")) { // a CommaDelimitedList parameter
                parts.add(parameter(cfn, given, list.get("Ref").asText()).replace(",", join.get(0).asText()));
            } else {
                list.forEach(item -> parts.add(evaluate(cfn, given, item)));
            }
            return String.join(join.get(0).asText(), parts);
        }
        if (node.has("Fn::Sub")) {
            JsonNode sub = node.get("Fn::Sub");
            String text = sub.isTextual() ? sub.asText() : sub.get(0).asText();
            Map<String, String> variables = new HashMap<>();
            if (sub.isArray()) {
                sub.get(1).fields().forEachRemaining(v -> variables.put(v.getKey(), evaluate(cfn, given, v.getValue())));
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\$\\{([A-Za-z0-9:]+)}").matcher(text);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String name = m.group(1);
                m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(variables.containsKey(name)
                        ? variables.get(name) : parameter(cfn, given, name)));
            }
            m.appendTail(out);
            return out.toString();
        }
        throw new AssertionError("cannot evaluate " + node);
    }
}
