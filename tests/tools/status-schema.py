#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Checks `corovipctl status --json` (stdin) against docs/status-schema.json:
# strict UTF-8, valid JSON, every field as documented (no undocumented one).
#   status-schema.py SCHEMA < status.json     exit 0, or 1 and why
import json
import sys

import jsonschema

raw = sys.stdin.buffer.read()
try:
    doc = json.loads(raw.decode("utf-8", errors="strict"))
except (UnicodeDecodeError, json.JSONDecodeError) as e:
    sys.exit(f"not UTF-8 JSON: {e}")
with open(sys.argv[1], encoding="utf-8") as f:
    schema = json.load(f)
validator = jsonschema.Draft202012Validator(schema)
errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
for e in errors[:5]:
    print(f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}", file=sys.stderr)
sys.exit(1 if errors else 0)
