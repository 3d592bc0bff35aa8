from trajsift.arrow import to_row
from trajsift.readers.admit import admitted_row, inadmissible
from trajsift.schema import Action, ActionType, Source, Step, TaskRef, Trajectory


def _trajectory(name: str) -> Trajectory:
    action = Action(type=ActionType.EDIT, tool="edit", arguments={"path": name, "z": [1, {"b": 2, "a": 1}]})
    return Trajectory(
        id=name, source=Source(format="native"), task=TaskRef(task_id="t"), steps=[Step(index=0, action=action)]
    )


def test_admitted_row_is_the_admitted_trajectorys_row_once():
    first, second = _trajectory("a"), _trajectory("b")
    assert inadmissible(first, "here") is None
    assert admitted_row(first) == to_row(first)
    assert admitted_row(first) == to_row(first)  # built again: the held row was handed over
    assert inadmissible(second, "here") is None
    assert admitted_row(first) == to_row(first)  # not the last one admitted: its own row, never another's
    assert admitted_row(second) == to_row(second)
