#!/usr/bin/env python3
"""Records the jq binary's answers (jq 1.6 here) for every filter in filters-*.txt on its input (inputs.json).

    python3 record.py ../jq16-cases.json

Each case keeps jq's compact outputs, or its error message (exit 5). Filters jq cannot compile (exit 3: mostly
jq 1.7 additions this library accepts) and filters jq cannot finish in 3 s (jq 1.6 bugs) are left out. The test suite
replays every case; the ones where this library answers differently on purpose are listed in known-differences.txt.
"""
import json, os, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
inputs = json.load(open(os.path.join(here, "inputs.json")))
cases, seen = [], set()
for name, inp in inputs.items():
    for f in open(os.path.join(here, name), encoding="utf-8").read().splitlines():
        if not f.strip() or (f, inp) in seen:
            continue
        seen.add((f, inp))
        try:
            r = subprocess.run(["jq", "-c", f], input=inp, capture_output=True, text=True, timeout=3)
        except subprocess.TimeoutExpired:
            continue
        if r.returncode == 3:
            continue
        case = {"filter": f, "input": inp, "outputs": r.stdout.splitlines()}
        if r.returncode == 5:
            msg = r.stderr.strip().splitlines()[-1]
            import re
            m = re.match(r"jq: error \(at [^)]*\) \(not a string\): (.*)$", msg)
            if m:
                msg = m.group(1) + " (not a string)"  # this library's message for a non-string error value
            else:
                msg = re.sub(r"^jq: error \(at [^)]*\): ", "", msg)
            case["error"] = msg
        elif r.returncode != 0:
            continue
        cases.append(case)
json.dump(cases, open(sys.argv[1], "w", encoding="utf-8"), indent=0, ensure_ascii=False)
print(len(cases), "cases recorded of", len(seen), "filter/input pairs")
