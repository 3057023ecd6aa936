#!/usr/bin/env python3
"""docs/events.md cannot drift from the server: every event type the node
serves a schema for has a section, its field table lists exactly the
schema's fields, and its example follows the schema (checked with the
jsonschema library through tests/process/validate_events.py).
usage: event_examples_test.py ALMANACD docs/events.md"""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "process"))
from almanac_node import Node, Checks  # noqa: E402

check = Checks()
node = Node(sys.argv[1], "almanac-event-docs-")
try:
    text = open(sys.argv[2]).read()
    st, schemas = node.call("GET", "/api/v1/events/schema")
    check(st == 200 and len(schemas["types"]) >= 17, f"the node serves the schemas ({st})")
    sections = {}
    for m in re.finditer(r"^### (\S+)\n(.*?)(?=^### |\Z)", text, re.S | re.M):
        sections[m.group(1)] = m.group(2)
    examples = []
    for t in schemas["types"]:
        tag = t["tag"]
        body = sections.get(tag)
        check(body is not None, f"{tag} has a section")
        if body is None:
            continue
        listed = re.findall(r"^\| `([^`]+)` \|", body, re.M)
        check(sorted(listed) == sorted(t["schema"]["properties"]),
              f"{tag}: the table lists the schema's fields ({sorted(listed)})")
        block = re.search(r"```json\n(.*?)```", body, re.S)
        check(block is not None, f"{tag} has an example")
        if block:
            e = json.loads(block.group(1))
            check(f"{e['type']}@{e['version']}" == tag, f"{tag}: the example is of its type")
            examples.append(e)
    work = node.work
    with open(work + "/schemas.json", "w") as f:
        json.dump(schemas, f)
    with open(work + "/examples.json", "w") as f:
        json.dump(examples, f)
    r = subprocess.run(["/usr/bin/python3",
                        os.path.join(os.path.dirname(__file__), "..", "process",
                                     "validate_events.py"),
                        work + "/schemas.json", work + "/examples.json"],
                       capture_output=True, text=True)
    check(r.returncode == 0, f"every example follows its schema ({r.stdout.strip()[-500:]})")
    # The check itself can fail: an example with a field of the wrong type.
    bad = json.loads(json.dumps(examples[0]))
    bad["payload"]["urn"] = 5
    with open(work + "/bad.json", "w") as f:
        json.dump([bad], f)
    r = subprocess.run(["/usr/bin/python3",
                        os.path.join(os.path.dirname(__file__), "..", "process",
                                     "validate_events.py"),
                        work + "/schemas.json", work + "/bad.json"],
                       capture_output=True, text=True)
    check(r.returncode == 1 and "urn" in r.stdout, "a wrong example is caught")
finally:
    check.finish(node)
