"""
One value-set name, two contents: each trial reads its own set.

Trials may define a set of the same name with different codes (11 names do across
the five plugins). A patient's index is shared by every trial screened at once, so
what it remembers per set must be keyed by the set, not by its name.
"""

from __future__ import annotations

from _support import AS_OF, engine_for, obs, patient, write_trial

from trialrules.language.terminology import valueset_key

RULE = """
    id: inc01_hb
    text: Haemoglobin at least 90 g/L within 14 days
    rule: {measurement: {concept: hb_test, op: ">=", value: 90, unit: g/L, window: {days: 14}}}
"""
# LOINC 718-7 Hemoglobin [Mass/volume] in Blood; 59260-0 Hemoglobin [Moles/volume] in Blood
TRIAL_A_SETS = """
- name: hb_test
  title: haemoglobin (mass concentration)
  codes: [{system: loinc, code: 718-7}]
"""
TRIAL_B_SETS = """
- name: hb_test
  title: haemoglobin (molar concentration)
  codes: [{system: loinc, code: 59260-0}]
"""


def _engine(tmp_path):
    a = write_trial(tmp_path, {"inclusion/inc01_hb": RULE}, TRIAL_A_SETS, trial_id="trial-a")
    b = write_trial(tmp_path, {"inclusion/inc01_hb": RULE}, TRIAL_B_SETS, trial_id="trial-b")
    return engine_for(a, b)


def _results(engine, trials):
    record = patient(observations=[obs("hb1", "718-7", 120, "2026-01-10", unit="g/L")])
    return {r.trial: r.criteria[0].result for r in engine.screen([record], trials, AS_OF)}


def test_same_name_different_contents_each_trial_reads_its_own(tmp_path):
    engine = _engine(tmp_path)
    assert engine.problems == []
    expected = {"trial-a": "met", "trial-b": "unknown"}  # B's set holds no 718-7 result

    assert expected == _results(engine, ["trial-a", "trial-b"])
    assert expected == _results(engine, ["trial-b", "trial-a"])


def test_equal_sets_compile_once_and_different_ones_apart(tmp_path):
    engine = _engine(tmp_path)
    a, b = engine.compiled("trial-a"), engine.compiled("trial-b")

    assert a.matchers["hb_test"] is not b.matchers["hb_test"]
    shared = set(a.matchers) & set(b.matchers) - {"hb_test"}  # the built-in shared sets
    assert shared and all(a.matchers[n] is b.matchers[n] for n in shared)


def test_the_key_follows_included_sets_as_each_trial_resolves_them():
    from trialrules.language.models import CodeEntry, ValueSet

    outer = ValueSet("outer", include=("inner",))
    one = {"outer": outer, "inner": ValueSet("inner", codes=(CodeEntry("loinc", "718-7"),))}
    two = {"outer": outer, "inner": ValueSet("inner", codes=(CodeEntry("loinc", "59260-0"),))}

    assert valueset_key(outer, one) != valueset_key(outer, two)
    assert valueset_key(outer, one) == valueset_key(outer, dict(one))
