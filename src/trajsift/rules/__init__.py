"""Declarative rules: what a good row looks like. A failing rule gives the reason codes why.

Rule syntax (YAML or dicts), each node one operator plus an optional `reason`:

    {min: {column: C, value: V}}        {max: {column: C, value: V}}
    {equals: {column: C, value: V}}     {in: {column: C, values: [...]}}
    {no_findings: {ignore: [...], only: [...]}}   # fails with the stage's finding codes
    {top_fraction: {column: C, fraction: F, by: [group columns]}}   # global: needs a reduce
    {all: [...]}  {any: [...]}  {not: {...}, reason: R}

Each operator is a pydantic model (unknown keys are errors): `base` has the node interface, `leaves` the
operators that read columns or findings, `tree` the groups and `compile_rule`, which validates a spec into a
tree of them. Evaluation is three-valued: a missing score makes a leaf unknown (None), never a silent pass.
Changing a rule never re-runs a check: rules read columns only.
"""
