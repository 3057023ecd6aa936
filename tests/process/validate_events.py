#!/usr/bin/python3
"""Validates events against Almanac's published event schemas with the
`jsonschema` library (Debian's python3-jsonschema, hence /usr/bin/python3).
usage: validate_events.py SCHEMAS.json EVENTS.json
SCHEMAS.json is GET /api/v1/events/schema; EVENTS.json a list of events as
GET /api/v1/events returns them. Prints one line per invalid event and exits
1 if there is any."""
import json
import sys

import jsonschema

schemas = {t["tag"]: t["schema"] for t in json.load(open(sys.argv[1]))["types"]}
validators = {}
bad = 0
events = json.load(open(sys.argv[2]))
for e in events:
    tag = f"{e['type']}@{e['version']}"
    if tag not in schemas:
        print(f"offset {e['offset']}: no schema for {tag}")
        bad += 1
        continue
    if tag not in validators:
        cls = jsonschema.validators.validator_for(schemas[tag])
        cls.check_schema(schemas[tag])
        validators[tag] = cls(schemas[tag])
    errors = sorted(validators[tag].iter_errors(e["payload"]), key=lambda x: list(x.path))
    for err in errors[:3]:
        where = "/".join(str(p) for p in err.path) or "(payload)"
        print(f"offset {e['offset']} {tag}: {where}: {err.message[:200]}")
    bad += bool(errors)
print(f"{len(events)} events, {bad} invalid, {len(set(e['type'] for e in events))} types")
sys.exit(1 if bad else 0)
