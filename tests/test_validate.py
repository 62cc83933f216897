"""``trialrules validate``: value-set coverage warnings (source, code systems by kind of record)."""

from __future__ import annotations

from pathlib import Path

from _support import write_trial

from trialrules import Engine
from trialrules.language.validate import coverage_warnings_for

SEARCH = "id: exc01_x\ntext: words\nrule: {%s: {valueset: things, if_absent: not_met}}\n"


def warnings_for(root: Path, record: str, sets: str) -> list[str]:
    rules = write_trial(root, {"exclusion/exc01_x": SEARCH % record}, valuesets=sets)
    return [str(w) for w in coverage_warnings_for([rules], Engine(load_entrypoints=False).registry)]


class TestCoverageWarnings:
    def test_condition_set_without_snomed(self, rules_root):
        """A condition set with ICD-10-CM only is warned about, at its line."""
        found = warnings_for(rules_root, "condition", """
            - name: things
              source: ICD-10-CM 2025
              codes: [{system: icd10cm, code: I21, prefix: true}]
            """)

        assert 1 == len(found)
        assert "sets.yaml:2:" in found[0] and "has no SNOMED CT code" in found[0]

    def test_complete_sets_are_quiet(self, rules_root):
        """Both systems and a source: no warning."""
        found = warnings_for(rules_root, "medication", """
            - name: things
              source: WHO ATC index 2025; RxNav
              codes:
                - {system: atc, code: L01, prefix: true}
                - {system: rxnorm, code: "253337", display: bevacizumab}
            """)

        assert [] == found

    def test_coverage_reason_silences(self, rules_root):
        """A stated reason stands in for the missing system."""
        found = warnings_for(rules_root, "procedure", """
            - name: things
              source: SNOMED CT
              coverage_reason: CPT has no code for this
              codes: [{system: snomed, code: "387713003"}]
            """)

        assert [] == found

    def test_missing_source_and_nameless_rxnorm(self, rules_root):
        """No source, and an RxNorm entry products cannot match through."""
        found = warnings_for(rules_root, "medication", """
            - name: things
              codes:
                - {system: atc, code: L01, prefix: true}
                - {system: rxnorm, code: "253337"}
            """)

        assert 2 == len(found)
        assert "source" in found[0] and "without their ingredient name" in found[1]

    def test_cpt_range_counts_as_cpt(self, rules_root):
        """A CPT range covers CPT."""
        found = warnings_for(rules_root, "procedure", """
            - name: things
              source: CPT surgery section; SNOMED CT
              codes:
                - {system: cpt, code: "10004", to: "69990"}
                - {system: snomed, code: "387713003"}
            """)

        assert [] == found
