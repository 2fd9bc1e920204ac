"""Schemathesis hooks for scripts/fuzz-api (loaded through SCHEMATHESIS_HOOKS=fuzz_hooks).

The coverage phase draws path parameters from the schema alone (the config's dictionaries reach
only the fuzzing and stateful phases), so every one of its cases would stop at a 404 for an
unknown plan. Where a coverage case is about another part of the request (a body field, a
query parameter, a header), this puts the real ids of the fuzzer's world in the path, so that
the handler itself meets the boundary values. Cases about the path itself keep theirs.
"""

from __future__ import annotations

import itertools
import json
import os
from typing import Any

import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoveragePhaseData

# {"plan_id": ["…"], "key": ["about_me", …], …}, written by scripts/fuzz-api for this run.
_IDS: dict[str, list[Any]] = json.loads(os.environ.get("FUZZ_IDS", "{}"))
_NEXT = {name: itertools.cycle(values) for name, values in _IDS.items() if values}


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    meta = case.meta
    data = meta.phase.data if meta is not None else None
    if not isinstance(data, CoveragePhaseData) or data.parameter_location == ParameterLocation.PATH:
        return case
    if case.path_parameters:
        for name in case.path_parameters:
            if name in _NEXT:
                case.path_parameters[name] = next(_NEXT[name])
    return case
