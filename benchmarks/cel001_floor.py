"""
A hand-written plain-Python check of every criterion of CEL001, the floor the engine
is measured against (benchmarks/bench_floor.py).

It reads the same records and the same value sets as the engine and follows the
current rules of CONTRACT.md section 5: the newest result in a window is judged
(unreadable: unknown), ties at the same day are unknown, a record the value set
cannot judge or an unconfirmed diagnosis makes a search unknown, an RxNorm product
matches through its ingredient name. What it leaves out is what a hand-written
check does not pay for: sentences, evidence, unit conversion (the synthetic data is
in the rule's units; anything else raises) and the tumour-specific treatment-history
items of inclusion 3 for tumour types the synthetic population does not carry
(raises, so a disagreement can never pass silently).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from trialrules.language.models import Coding, PatientRecord, Quantity, ValueSet
from trialrules.language.statuses import NOT_HAPPENED as _SKIP_STATUS
from trialrules.language.statuses import VERIFICATION_UNCONFIRMED as UNCONFIRMED
from trialrules.language.terminology import SYSTEMS

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"
_HIER = {SYSTEMS["icd10cm"], SYSTEMS["icd10"], SYSTEMS["atc"]}
_RX = SYSTEMS["rxnorm"]
_ACTIVE = {"active", "recurrence", "relapse"}
_ONGOING = {"active", "in-progress", "on-hold", "intended", "recurrence", "relapse"}
_IGNORED_OBS = {"entered-in-error", "cancelled", "preliminary"}


def AND(*rs: str) -> str:
    return NOT_MET if NOT_MET in rs else UNKNOWN if UNKNOWN in rs else MET


def OR(*rs: str) -> str:
    return MET if MET in rs else UNKNOWN if UNKNOWN in rs else NOT_MET


def NOT(r: str) -> str:
    return {MET: NOT_MET, NOT_MET: MET, UNKNOWN: UNKNOWN}[r]


def IF(cond: str, then: Any, other: Any) -> str:
    if cond == MET:
        return then()
    if cond == NOT_MET:
        return other()
    t, e = then(), other()
    return t if t == e else UNKNOWN


def _norm(system: str | None, code: str) -> tuple[str | None, str]:
    system = SYSTEMS.get(system, system) if system else system
    code = code.strip()
    return system, (code.replace(".", "").upper() if system in _HIER else code)


class Codes:
    """One value set as plain sets: exact codes, prefixes per system, CPT ranges, RxNorm names."""

    def __init__(self, vs: ValueSet, lookup: Mapping[str, ValueSet]) -> None:
        self.exact: dict[tuple[str | None, str], Any] = {}
        self.prefixes: dict[str | None, list[tuple[str, Any]]] = {}
        self.ranges: list[tuple[str | None, str, str, Any]] = []
        self.names: dict[str, Any] = {}
        self.systems: set[str | None] = set()
        self.excluded: set[tuple[str | None, str]] = set()
        self.excluded_prefixes: dict[str | None, tuple[str, ...]] = {}
        self.excluded_ranges: list[tuple[str | None, str, str]] = []
        self.included = [Codes(lookup[n], lookup) for n in vs.include]
        self.memo: dict[tuple[str | None, str, str | None], tuple[Any, bool]] = {}
        for e in vs.exclude:
            key = _norm(e.system, e.code)
            if key[0] == _RX and e.display:
                raise NotImplementedError(f"floor: RxNorm exclusion in {vs.name}")
            if e.to:
                self.excluded_ranges.append((key[0], key[1], e.to.strip()))
            elif e.prefix:
                self.excluded_prefixes[key[0]] = (*self.excluded_prefixes.get(key[0], ()), key[1])
            else:
                self.excluded.add(key)
        for e in vs.codes:
            key = _norm(e.system, e.code)
            self.systems.add(key[0])
            if e.to:
                self.ranges.append((key[0], key[1], e.to.strip(), e))
            elif e.prefix:
                self.prefixes.setdefault(key[0], []).append((key[1], e))
            else:
                self.exact.setdefault(key, e)
            if key[0] == _RX and e.display and not e.prefix:
                self.names.setdefault(e.display.strip().lower(), e)
        for inner in self.included:
            self.systems |= inner.systems

    def entry(self, c: Coding) -> tuple[Any, bool]:
        """(entry or None, judged), remembered per coding as a hand-written table would be."""
        memo_key = (c.system, c.code, c.display)
        hit = self.memo.get(memo_key)
        if hit is None:
            hit = self.memo[memo_key] = self._entry(c)
        return hit

    def _entry(self, c: Coding) -> tuple[Any, bool]:
        key = _norm(c.system, c.code)
        if key in self.excluded or key[1].startswith(self.excluded_prefixes.get(key[0], "\0")):
            return None, True
        for s, a, b in self.excluded_ranges:
            if s == key[0] and len(key[1]) == len(a) and a <= key[1] <= b:
                return None, True
        judged_inside = False
        for inner in self.included:
            e, j = inner.entry(c)
            if e is not None:
                return e, True
            judged_inside = judged_inside or j
        hit = self.exact.get(key)
        if hit is not None:
            return hit, True
        system, code = key
        for p, e in self.prefixes.get(system, ()):
            if code.startswith(p):
                return e, True
        for s, a, b, e in self.ranges:
            if s == system and len(code) == len(a) and a <= code <= b:
                return e, True
        if system == _RX and _RX in self.systems:
            if not c.display:
                return None, judged_inside
            text = c.display.lower()
            for name, e in self.names.items():
                if text.startswith(name) and (len(text) == len(name) or text[len(name)] == " "):
                    return e, True
            return None, True
        return None, judged_inside or system in self.systems


def _period(rec: Any, kind: str) -> tuple[dt.date | None, dt.date | None]:
    if kind == "condition":
        return rec.onset or rec.recorded, rec.abatement
    if kind == "medication":
        return rec.start or rec.end, rec.end
    if kind == "procedure":
        return rec.date, rec.end or rec.date
    return rec.date, None


class Floor:
    def __init__(self, valuesets: Mapping[str, ValueSet]) -> None:
        self.vs = {name: Codes(v, valuesets) for name, v in valuesets.items()}
        self.obs_codes = {name: {_norm(e.system, e.code) for e in v.codes} for name, v in valuesets.items()}
        self._patient: PatientRecord | None = None
        self._by_code: dict[tuple[str | None, str], list[Any]] = {}
        self._grouped: dict[int, tuple[Sequence[Any], list[tuple[tuple[Coding, ...], list[Any]]]]] = {}

    # -- searches ---------------------------------------------------------------
    def search(self, recs: Iterable[Any], kind: str, names: Sequence[str], as_of: dt.date, *,
               active: bool = False, start: dt.date | None = None, half_lives: int = 0,
               min_count: int = 1, if_absent: str = NOT_MET) -> str:
        sets = [self.vs[n] for n in names]
        skip = _SKIP_STATUS[kind]
        found = undecided = 0
        for codes, group in self._groups(recs):  # each distinct set of codes judged once
            entry, judged = None, False
            for s in sets:
                for c in codes:
                    e, j = s.entry(c)
                    if e is not None:
                        entry = e
                        break
                    judged = judged or j
                if entry is not None:
                    break
            if entry is None and judged:
                continue
            for rec in group:
                vstatus = getattr(rec, "verification_status", None)
                if vstatus in skip or getattr(rec, "status", None) in skip:
                    continue
                if entry is None:
                    undecided += 1  # cannot be judged
                    continue
                found, undecided = self._count(rec, kind, entry, as_of, active, start, half_lives, found, undecided)
        if found >= min_count:
            return MET
        if found + undecided >= min_count and undecided:
            return UNKNOWN
        return if_absent

    def _groups(self, recs: Sequence[Any]) -> list[tuple[tuple[Coding, ...], list[Any]]]:
        """A patient's records of one kind grouped by their codes, once per patient."""
        key = id(recs)
        hit = self._grouped.get(key)
        if hit is None or hit[0] is not recs:
            by_codes: dict[tuple[Coding, ...], list[Any]] = {}
            for rec in recs:
                by_codes.setdefault((*rec.codes, *getattr(rec, "ingredients", ())), []).append(rec)
            hit = self._grouped[key] = (recs, list(by_codes.items()))
        return hit[1]

    @staticmethod
    def _count(rec: Any, kind: str, entry: Any, as_of: dt.date, active: bool, start: dt.date | None,
               half_lives: int, found: int, undecided: int) -> tuple[int, int]:
        """Count one matching record as found, undecided, or neither (status, time)."""
        vstatus = getattr(rec, "verification_status", None)
        clinical = getattr(rec, "clinical_status", None)
        begin, end = _period(rec, kind)
        if active and clinical is not None and clinical not in _ACTIVE:
            return found, undecided
        if active and clinical is None and end is not None and end <= as_of:
            return found, undecided
        if begin is not None and begin > as_of:
            return found, undecided
        if start is not None:
            limit = start
            if half_lives and entry.half_life_hours:
                limit = max(limit, as_of - dt.timedelta(days=half_lives * entry.half_life_hours / 24.0))
            if end is not None:
                last = min(end, as_of)
            else:
                status = clinical or getattr(rec, "status", None)
                ongoing = kind in ("condition", "medication") and begin is not None and (
                    status is None or status in _ONGOING)
                last = as_of if ongoing else begin
            if last is None:
                return found, undecided + 1
            if last < limit:
                return found, undecided
        if vstatus in UNCONFIRMED:
            return found, undecided + 1
        return found + 1, undecided

    # -- measurements -----------------------------------------------------------
    def _observations(self, p: PatientRecord, concept: str) -> list[Any]:
        if self._patient is not p:  # index the patient's observations by code once
            self._patient = p
            self._grouped.clear()
            self._by_code = {}
            for o in p.observations:
                if o.status not in _IGNORED_OBS:
                    for c in o.codes:
                        self._by_code.setdefault(_norm(c.system, c.code), []).append(o)
        found: list[Any] = []
        for key in self.obs_codes[concept]:
            found.extend(self._by_code.get(key, ()))
        return found

    def newest(self, p: PatientRecord, concept: str, as_of: dt.date, days: int | None) -> list[Any]:
        start = None if days is None else as_of - dt.timedelta(days=days)
        best: list[Any] = []
        for o in self._observations(p, concept):
            if o.date is None or o.date > as_of or (start and o.date < start):
                continue
            if not best or o.date > best[0].date:
                best = [o]
            elif o.date == best[0].date:
                best.append(o)
        return best

    def number(self, p: PatientRecord, concept: str, as_of: dt.date, days: int, unit: str | None,
               op: str, limit: float | None = None, uln: float | None = None) -> str:
        newest = self.newest(p, concept, as_of, days)
        if len(newest) != 1:
            return UNKNOWN  # none, or several at the same time
        o = newest[0]
        v = o.value
        if isinstance(v, Quantity):
            if v.unit != unit:
                raise NotImplementedError(f"floor: {concept} in {v.unit}, rule in {unit}")
            value = v.value
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and unit is None:
            value = v
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            return UNKNOWN  # no unit: never assumed
        else:
            return UNKNOWN  # text or coded: cannot be judged as a number
        if uln is not None:
            high = o.reference_ranges[0].high if o.reference_ranges else None
            if high is None:
                return UNKNOWN
            limit = uln * high.value
        assert limit is not None
        ok = value >= limit if op == ">=" else value <= limit if op == "<=" else value > limit
        return MET if ok else NOT_MET

    def qualitative(self, p: PatientRecord, concept: str, as_of: dt.date, days: int | None, want: str) -> str:
        """A text result read as positive / negative; ``use: latest`` (days) or ``use: any`` (None)."""
        if days is None:
            obs = self._observations(p, concept)
        else:
            obs = self.newest(p, concept, as_of, days)
        if not obs:
            return UNKNOWN
        results = []
        for o in obs:
            text = o.value.strip().casefold() if isinstance(o.value, str) else None
            if text not in ("positive", "negative"):
                raise NotImplementedError(f"floor: {concept} result {o.value!r}")
            results.append(MET if text == want else NOT_MET)
        if days is None:
            return OR(*results)
        return results[0] if len(set(results)) == 1 else UNKNOWN

    # -- the trial --------------------------------------------------------------
    def evaluate(self, p: PatientRecord, as_of: dt.date) -> tuple[str, dict[str, str]]:
        r: dict[str, str] = {}
        self._grouped.clear()  # a new patient
        att = p.attestations

        def attest(key: str) -> str:
            a = att.get(f"cel001:{key}", att.get(key))
            return UNKNOWN if a is None else MET if a else NOT_MET

        def cond(names: Sequence[str], **kw: Any) -> str:
            return self.search(p.conditions, "condition", names, as_of, **kw)

        def med(names: Sequence[str], **kw: Any) -> str:
            return self.search(p.medications, "medication", names, as_of, **kw)

        def proc(names: Sequence[str], **kw: Any) -> str:
            return self.search(p.procedures, "procedure", names, as_of, **kw)

        def weeks(n: int) -> dt.date:
            return as_of - dt.timedelta(weeks=n)

        sex = p.sex if p.sex in ("female", "male") else None
        # inclusion 1
        if p.birth_date is None:
            r["inc01_age"] = UNKNOWN
        else:
            b = p.birth_date
            age = as_of.year - b.year - ((as_of.month, as_of.day) < (b.month, b.day))
            r["inc01_age"] = MET if age >= 18 else NOT_MET
        r["inc02_ecog"] = self.number(p, "ecog", as_of, 28, None, "<=", 1)
        # inclusion 3
        r["inc03_diagnosis"] = AND(cond(["solid_tumour", "metastatic_disease"], active=True, if_absent=UNKNOWN),
                                   attest("inc03_diagnosis"))
        for item, vs in (("nsclc_no_driver", "tumour_nsclc"), ("nsclc_driver", "tumour_nsclc"), ("sclc", "tumour_sclc"),
                         ("colorectal", "tumour_colorectal"), ("colorectal_braf", "tumour_colorectal"),
                         ("colorectal_msi", "tumour_colorectal"), ("head_neck", "tumour_head_neck"),
                         ("urothelial", "tumour_urothelial"), ("urothelial_fgfr", "tumour_urothelial"),
                         ("oesophageal", "tumour_oesophageal"), ("cervical", "tumour_cervical"),
                         ("cervical_pd1", "tumour_cervical"), ("hcc", "tumour_hcc"), ("rcc", "tumour_rcc")):
            if cond([vs], active=True) != NOT_MET:
                raise NotImplementedError(f"floor: treatment history for {vs}")
            r[f"inc03_stf_{item}"] = MET
        r["inc03_stf_colorectal"] = AND(r["inc03_stf_colorectal"], r["inc03_stf_colorectal_braf"], r["inc03_stf_colorectal_msi"])
        r["inc03_stf_urothelial"] = AND(r["inc03_stf_urothelial"], r["inc03_stf_urothelial_fgfr"])
        r["inc03_stf_cervical"] = AND(r["inc03_stf_cervical"], r["inc03_stf_cervical_pd1"])
        r["inc03_stf_other"] = IF(cond(["tumour_listed_types"], active=True), lambda: MET,
                                  lambda: attest("inc03_stf_other"))
        r["inc03_advanced_tumour_failed_standard_treatment"] = AND(*(r[k] for k in (
            "inc03_diagnosis", "inc03_stf_nsclc_no_driver", "inc03_stf_nsclc_driver", "inc03_stf_sclc",
            "inc03_stf_colorectal", "inc03_stf_head_neck", "inc03_stf_urothelial", "inc03_stf_oesophageal",
            "inc03_stf_cervical", "inc03_stf_hcc", "inc03_stf_rcc", "inc03_stf_other")))
        r["inc04_weight"] = IF(MET if sex == "male" else NOT_MET if sex else UNKNOWN,
                               lambda: self.number(p, "body_weight", as_of, 28, "kg", ">=", 50),
                               lambda: self.number(p, "body_weight", as_of, 28, "kg", ">=", 45))
        r["inc05_life_expectancy"] = attest("inc05_life_expectancy")
        r["inc06_measurable_lesion"] = attest("inc06_measurable_lesion")
        # inclusion 7
        own = AND(NOT(proc(["transfusion"], start=as_of - dt.timedelta(days=14))),
                  NOT(med(["long_acting_epo_gcsf"], start=as_of - dt.timedelta(days=14))),
                  NOT(med(["short_acting_epo_gcsf"], start=as_of - dt.timedelta(days=7))))
        hb = self.number(p, "haemoglobin", as_of, 14, "g/L", ">=", 90)
        r["inc07_1_blood_routine"] = AND(self.number(p, "anc", as_of, 14, "10*9/L", ">=", 1.5),
                                         self.number(p, "platelets", as_of, 14, "10*9/L", ">=", 90),
                                         hb if hb != NOT_MET else NOT_MET)
        creat = self.number(p, "creatinine", as_of, 14, "mg/dL", "<=", uln=1.5)
        if creat == NOT_MET:
            raise NotImplementedError("floor: Cockcroft-Gault")
        r["inc07_2_kidney"] = creat
        liver = cond(["liver_metastasis", "liver_cancer"], active=True)
        r["inc07_3_liver"] = AND(
            self.number(p, "bilirubin", as_of, 14, "mg/dL", "<=", uln=1.5),
            IF(liver, lambda: AND(self.number(p, "ast", as_of, 14, "U/L", "<=", uln=5),
                                  self.number(p, "alt", as_of, 14, "U/L", "<=", uln=5)),
               lambda: AND(self.number(p, "ast", as_of, 14, "U/L", "<=", uln=2.5),
                           self.number(p, "alt", as_of, 14, "U/L", "<=", uln=2.5))))
        r["inc07_4_coagulation"] = AND(OR(self.number(p, "inr", as_of, 14, "1", "<=", uln=1.5),
                                          self.number(p, "pt", as_of, 14, "s", "<=", uln=1.5)),
                                       self.number(p, "aptt", as_of, 14, "s", "<=", uln=1.5))
        r["inc07_organ_function"] = AND(own, r["inc07_1_blood_routine"], r["inc07_2_kidney"], r["inc07_3_liver"],
                                        r["inc07_4_coagulation"])
        # inclusion 8
        female = MET if sex == "female" else NOT_MET if sex else UNKNOWN
        r["inc08_contraception"] = attest("inc08_contraception")
        r["inc08_pregnancy_test"] = IF(female, lambda: self.qualitative(p, "hcg_serum", as_of, 7, "negative"),
                                       lambda: MET)
        r["inc08_not_lactating"] = IF(female, lambda: attest("inc08_not_lactating"), lambda: MET)
        r["inc08_reproductive"] = AND(r["inc08_contraception"], r["inc08_pregnancy_test"], r["inc08_not_lactating"])
        # exclusions
        r["exc01_penicillin"] = OR(self.search(p.allergies, "allergy", ["penicillin_allergy"], as_of),
                                   cond(["penicillin_allergy"]))
        r["exc01_components"] = attest("exc01_components")
        r["exc01_allergy"] = OR(r["exc01_penicillin"], r["exc01_components"])
        r["exc02_systemic_therapy"] = med(["systemic_anticancer_therapy"], start=weeks(4), half_lives=5)
        r["exc02_radiotherapy"] = proc(["radiotherapy"], start=weeks(4))
        r["exc02_other_trial"] = attest("exc02_other_trial")
        r["exc02_recent_anticancer_therapy"] = OR(r["exc02_systemic_therapy"], r["exc02_radiotherapy"],
                                                  r["exc02_other_trial"])
        r["exc03_chinese_medicine"] = attest("exc03_chinese_medicine")
        five_years = as_of.replace(year=as_of.year - 5) if not (as_of.month == 2 and as_of.day == 29) else None
        assert five_years is not None
        r["exc04_other_malignancy"] = IF(
            OR(cond(["other_malignancy_candidates"], start=five_years, min_count=2),
               cond(["thyroid_cancer"], active=True, start=five_years)),
            lambda: attest("exc04_other_malignancy"), lambda: NOT_MET)
        r["exc05_unresolved_toxicity"] = attest("exc05_unresolved_toxicity")
        r["exc06_recent_surgery"] = proc(["surgery"], start=weeks(4))
        r["exc06_not_recovered"] = attest("exc06_not_recovered")
        r["exc06_surgery"] = OR(r["exc06_recent_surgery"], r["exc06_not_recovered"])
        r["exc07_cns_metastases"] = IF(cond(["cns_metastasis"], active=True), lambda: attest("exc07_cns_metastases"),
                                       lambda: NOT_MET)
        r["exc08_active_infection"] = attest("exc08_active_infection")
        r["exc09_autoimmune"] = cond(["autoimmune_disease"])
        r["exc09_immunodeficiency"] = OR(cond(["immunodeficiency"]),
                                         self.qualitative(p, "hiv_ab", as_of, None, "positive"),
                                         AND(NOT(self.qualitative(p, "hiv_ab", as_of, 28, "negative")), UNKNOWN))
        r["exc09_organ_transplant"] = cond(["organ_transplant"])
        r["exc09_immune_disorders"] = OR(r["exc09_autoimmune"], r["exc09_immunodeficiency"], r["exc09_organ_transplant"])
        for virus, dx, sero, _rna in (("b", "hepatitis_b_active", "hbsag", "hbv_dna"),
                                     ("c", "hepatitis_c_active", "hcv_ab", "hcv_rna")):
            positive = OR(self.qualitative(p, sero, as_of, 28, "positive"),
                          AND(NOT(self.qualitative(p, sero, as_of, 28, "negative")), UNKNOWN))
            if positive != NOT_MET:
                raise NotImplementedError(f"floor: hepatitis {virus} serology {positive}")
            r[f"exc10_hepatitis_{virus}"] = OR(cond([dx], active=True), NOT_MET)
        r["exc10_active_hepatitis"] = OR(r["exc10_hepatitis_b"], r["exc10_hepatitis_c"])
        r["exc11_prior_immunotherapy"] = med(["immunotherapy"])
        r["exc12_arrhythmia"] = OR(cond(["av_block_2_3"]), IF(cond(["ventricular_arrhythmia"]),
                                                              lambda: attest("exc12_arrhythmia"), lambda: NOT_MET))
        r["exc12_myocardial_infarction"] = cond(["myocardial_infarction"])
        r["exc12_cabg"] = OR(cond(["cabg_status"]), proc(["cabg_procedure"]))
        r["exc12_heart_failure"] = cond(["heart_failure"])
        r["exc12_nyha"] = attest("exc12_nyha")
        r["exc12_lvef"] = self.number(p, "lvef", as_of, 28, "%", "<=", 50)
        r["exc12_thrombosis"] = cond(["thrombosis"])
        if self.newest(p, "qt_interval", as_of, 28):
            raise NotImplementedError("floor: QTcF from QT and heart rate")
        r["exc12_qtcf"] = self.number(p, "qtcf", as_of, 28, "ms", ">", 450 if sex == "male" else 470)
        if sex is None:
            raise NotImplementedError("floor: QTcF without sex")
        r["exc12_stroke"] = cond(["cerebrovascular_disease"])
        r["exc12_cardiovascular"] = OR(*(r[k] for k in (
            "exc12_arrhythmia", "exc12_myocardial_infarction", "exc12_cabg", "exc12_heart_failure", "exc12_nyha",
            "exc12_lvef", "exc12_thrombosis", "exc12_qtcf", "exc12_stroke")))
        r["exc13_concurrent_anticancer_therapy"] = attest("exc13_concurrent_anticancer_therapy")
        r["exc14_epilepsy_dementia"] = cond(["epilepsy_dementia"])
        r["exc14_other_disorders"] = attest("exc14_other_disorders")
        r["exc14_neuropsychiatric"] = OR(r["exc14_epilepsy_dementia"], r["exc14_other_disorders"])
        r["exc15_investigator_judgement"] = attest("exc15_investigator_judgement")
        top = [(k, v) for k, v in r.items() if k in TOP]
        if any((k.startswith("inc") and v == NOT_MET) or (k.startswith("exc") and v == MET) for k, v in top):
            return "ineligible", r
        if all((k.startswith("inc") and v == MET) or (k.startswith("exc") and v == NOT_MET) for k, v in top):
            return "eligible", r
        return "needs_review", r


TOP = frozenset({
    "inc01_age", "inc02_ecog", "inc03_advanced_tumour_failed_standard_treatment", "inc04_weight",
    "inc05_life_expectancy", "inc06_measurable_lesion", "inc07_organ_function", "inc08_reproductive",
    "exc01_allergy", "exc02_recent_anticancer_therapy", "exc03_chinese_medicine", "exc04_other_malignancy",
    "exc05_unresolved_toxicity", "exc06_surgery", "exc07_cns_metastases", "exc08_active_infection",
    "exc09_immune_disorders", "exc10_active_hepatitis", "exc11_prior_immunotherapy", "exc12_cardiovascular",
    "exc13_concurrent_anticancer_therapy", "exc14_neuropsychiatric", "exc15_investigator_judgement",
})
