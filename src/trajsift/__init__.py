"""trajsift: a quality pipeline for coding-agent trajectories.

The public API is the names in `__all__`; importing trajsift stays light (no Ray, torch or web
framework is imported here).
"""

from trajsift.errors import ConfigError, FormatError, InputError, PipelineError, TrajsiftError
from trajsift.readers.read import ReadOptions, TrajectoryReader, read_trajectories
from trajsift.schema import (
    SCHEMA_VERSION,
    Action,
    ActionType,
    FinalState,
    Observation,
    Outcome,
    Quarantined,
    Source,
    Step,
    TaskRef,
    Trajectory,
    Usage,
)

__version__ = "0.1.0"

__all__ = [
    "SCHEMA_VERSION",
    "Action",
    "ActionType",
    "ConfigError",
    "FinalState",
    "FormatError",
    "InputError",
    "Observation",
    "Outcome",
    "PipelineError",
    "Quarantined",
    "ReadOptions",
    "Source",
    "Step",
    "TaskRef",
    "Trajectory",
    "TrajectoryReader",
    "TrajsiftError",
    "Usage",
    "__version__",
    "read_trajectories",
]
