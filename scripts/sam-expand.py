"""Expands template.yaml's SAM transform into plain CloudFormation, the way CloudFormation will,
so cfn-lint can check what is actually deployed (cfn-lint alone does not expand SAM and misses
circular dependencies and typos inside Serverless resources).

usage: python sam-expand.py template.yaml out.json   (exit 1 with SAM's messages if invalid)
"""
import json
import os
import sys
from types import SimpleNamespace

from samtranslator.public.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
template = yaml_parse(open(sys.argv[1]).read())
# What `sam package` does: local code becomes an S3 object.
for resource in template.get("Resources", {}).values():
    if resource.get("Type") == "AWS::Serverless::Function":
        resource["Properties"]["CodeUri"] = "s3://bucket/function.zip"
try:
    # No IAM managed-policy lookups: offline, and the template uses none.
    expanded = transform(template, {}, SimpleNamespace(load=lambda: {}))
except InvalidDocumentException as e:
    for cause in e.causes:
        print(f"SAM: {cause.message}", file=sys.stderr)
    sys.exit(1)
with open(sys.argv[2], "w") as out:
    json.dump(expanded, out, indent=1)
