"""Translates a SAM template into the CloudFormation a deploy would create, offline, with the real aws-sam-translator.

    python translate.py TEMPLATE PARAMETERS_JSON CODE_KEY

Local CodeUri / DefinitionUri paths become s3:// locations named by CODE_KEY, as `sam package` would upload them
(a different CODE_KEY is different code). Managed policies are answered from the translator's own bundled list.
Prints the CloudFormation template as JSON.
"""
import json
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull

from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402


class BundledPolicies:
    """The translator looks managed policies up in its bundled map first; this answers the rest without AWS."""

    def load(self):
        return {}


def packaged(template, code_key):
    location = "s3://artifacts/" + code_key
    uri_property = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::StateMachine": "DefinitionUri"}
    function_globals = template.get("Globals", {}).get("Function", {})
    if isinstance(function_globals.get("CodeUri"), str):
        function_globals["CodeUri"] = location
    for resource in template.get("Resources", {}).values():
        key = uri_property.get(resource.get("Type"))
        properties = resource.get("Properties", {})
        if key and isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
            properties[key] = location + "/" + key
    return template


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        template = yaml_parse(f.read())
    parameters = json.loads(sys.argv[2])
    print(json.dumps(transform(packaged(template, sys.argv[3]), parameters, BundledPolicies())))


main()
