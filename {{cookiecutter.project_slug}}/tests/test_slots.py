from {{ cookiecutter.project_slug }}.slots import Slots


def test_slots_cap_what_runs_at_once():
    slots = Slots(2)
    assert slots.acquire() and slots.acquire() and not slots.acquire()
    slots.release()
    assert slots.acquire()
