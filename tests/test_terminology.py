"""Value-set matching: codes, prefixes, CPT ranges, RxNorm products through their ingredients."""

from __future__ import annotations

import pytest

from trialrules.language.models import CodeEntry, Coding, ValueSet
from trialrules.language.terminology import SYSTEMS, Matcher, compile_valueset, product_components

RX, ATC, SCT, CPT = SYSTEMS["rxnorm"], SYSTEMS["atc"], SYSTEMS["snomed"], SYSTEMS["cpt"]

# RxNorm ingredient codes and names as RxNav shows them (TTY IN): bevacizumab 253337,
# fluorouracil 4492, carboplatin 40048, prednisone 8640, dexamethasone 3264, thiotepa 10473,
# gemtuzumab ozogamicin 1294580, mogamulizumab 2054068. Product codes 1660004, 1944704 and
# 2054081 with their names: nmdp-ig/cibmtr-reporting-ig, med-form2400-prior-exposure-valueset.fsh.
# Other product codes in these tests are placeholders: the names are what is matched.
DRUGS = ValueSet(
    "drugs",
    codes=(
        CodeEntry("atc", "L01", prefix=True),
        CodeEntry("rxnorm", "253337", display="bevacizumab"),
        CodeEntry("rxnorm", "4492", display="fluorouracil"),
        CodeEntry("rxnorm", "40048", display="carboplatin"),
        CodeEntry("rxnorm", "8640", display="prednisone"),
        CodeEntry("rxnorm", "10473", display="thiotepa"),
        CodeEntry("rxnorm", "1294580", display="gemtuzumab ozogamicin"),
        CodeEntry("rxnorm", "2054068", display="mogamulizumab"),
    ),
    exclude=(CodeEntry("rxnorm", "3264", display="dexamethasone"),),
)


@pytest.fixture
def drugs() -> Matcher:
    return compile_valueset(DRUGS, {})


class TestProducts:
    def test_scd_matches_through_its_leading_ingredient_name(self, drugs: Matcher) -> None:
        """An SCD not listed matches by the ingredient name its RxNorm name begins with."""
        match = drugs.assess([Coding("1657998", RX, "bevacizumab 25 MG/ML Injectable Solution")])

        assert match.entry is not None and "253337" == match.entry.code
        assert "matched by ingredient name bevacizumab in 'bevacizumab 25 MG/ML Injectable Solution'" == match.how

    def test_sbd_brand_in_brackets(self, drugs: Matcher) -> None:
        """A branded drug's name carries the ingredients before the brand in brackets."""
        match = drugs.assess([Coding("1658000", RX, "bevacizumab 25 MG/ML Injectable Solution [Avastin]")])

        assert match.entry is not None

    @pytest.mark.parametrize(("code", "name"), [
        ("1660004", "thiotepa 100 MG Injection"),
        ("1944704", "gemtuzumab ozogamicin 4.5 MG Injection [Mylotarg]"),
        ("2054081", "5 ML mogamulizumab-kpkc 4 MG/ML Injection"),
    ])
    def test_published_product_names(self, drugs: Matcher, code: str, name: str) -> None:
        """Real RxNorm product names: plain, branded, quantified with a biosimilar suffix."""
        match = drugs.assess([Coding(code, RX, name)])

        assert match.entry is not None

    def test_multi_ingredient_and_salt(self, drugs: Matcher) -> None:
        """Parts joined by ' / ' are each read; a salt after the name still leads with it."""
        two = drugs.assess([Coding("1", RX, "leucovorin 10 MG/ML / fluorouracil 50 MG/ML Injectable Solution")])
        salt = drugs.assess([Coding("2", RX, "carboplatin 10 MG/ML Injectable Solution")])

        assert (two.entry is not None, salt.entry is not None) == (True, True)

    def test_extended_release_and_pack(self) -> None:
        """Durations and packs are unwrapped to their ingredient-led parts."""
        assert ("metformin hydrochloride 500 mg extended release oral tablet",) == product_components(
            "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet")
        assert ("norethindrone 0.35 mg oral tablet",) == product_components(
            "{28 (norethindrone 0.35 MG Oral Tablet) } Pack [Errin]")

    def test_name_needs_a_word_boundary(self, drugs: Matcher) -> None:
        """'prednisone' does not match 'prednisolone', nor a longer word."""
        match = drugs.assess([Coding("3", RX, "prednisolone 5 MG Oral Tablet")])

        assert (None, "") == (match.entry, match.cannot_judge)

    def test_other_product_is_judged_not_in_set(self, drugs: Matcher) -> None:
        """A named product of another ingredient is judged: not in the set."""
        match = drugs.assess([Coding("860975", RX, "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet")])

        assert (None, "") == (match.entry, match.cannot_judge)

    def test_unnamed_unlisted_rxnorm_cannot_be_judged(self, drugs: Matcher) -> None:
        """An RxNorm code neither listed nor named might be a product of a listed drug."""
        match = drugs.assess([Coding("1657998", RX)])

        assert match.entry is None
        assert "RxNorm code 1657998 is not listed" in match.cannot_judge

    def test_ingredient_codes_decide(self, drugs: Matcher) -> None:
        """Medication.ingredient codes match like any code, and judge when they do not."""
        hit = drugs.assess([Coding("1657998", RX)], [Coding("253337", RX, "bevacizumab")])
        miss = drugs.assess([Coding("1657998", RX)], [Coding("6809", RX, "metformin")])

        assert "253337" == (hit.entry.code if hit.entry else None)
        assert (None, "") == (miss.entry, miss.cannot_judge)

    def test_excluded_ingredient_excludes_its_products(self, drugs: Matcher) -> None:
        """An ingredient name in exclude removes its products too."""
        match = drugs.assess([Coding("197582", RX, "dexamethasone 4 MG Oral Tablet")])

        assert match.entry is None

    def test_atc_coding_judges_beside_unnamed_rxnorm(self, drugs: Matcher) -> None:
        """Another coding the set covers decides."""
        match = drugs.assess([Coding("1", RX), Coding("A10BA02", ATC, "metformin")])

        assert (None, "") == (match.entry, match.cannot_judge)

    def test_system_not_covered(self, drugs: Matcher) -> None:
        """Codes only in a system the set lacks cannot be judged."""
        match = drugs.assess([Coding("108774000", SCT)])

        assert "does not cover" in match.cannot_judge

    def test_memo_gives_the_same_answer(self, drugs: Matcher) -> None:
        """A remembered answer is the answer; a different display is asked afresh."""
        coding = Coding("9", RX, "bevacizumab 25 MG/ML Injectable Solution")
        first, second = drugs.assess([coding]), drugs.assess([coding])
        other = drugs.assess([Coding("9", RX)])

        assert first == second
        assert other.cannot_judge


class TestRanges:
    def test_cpt_range_inclusive_both_ends(self) -> None:
        """A CPT range holds its first and last code and nothing outside."""
        m = compile_valueset(ValueSet("surgery", codes=(CodeEntry("cpt", "10004", to="69990"),)), {})

        assert [True, True, True, False, False] == [
            m.matches(Coding(c, CPT)) for c in ("10004", "49000", "69990", "70010", "0001T")]

    def test_cpt_range_exclude(self) -> None:
        """An excluded range never matches."""
        m = compile_valueset(ValueSet("surgery", codes=(CodeEntry("cpt", "10004", to="69990"),),
                                      exclude=(CodeEntry("cpt", "36000", to="36999"),)), {})

        assert (False, True) == (m.matches(Coding("36415", CPT)), m.matches(Coding("49000", CPT)))


class TestInclude:
    def test_an_included_sets_exclusions_narrow_it_alone(self):
        """A set's exclusions do not leak into the union that includes it."""
        lung = ValueSet("lung", codes=(CodeEntry("snomed", "254637007"),),
                        exclude=(CodeEntry("icd10cm", "C18", prefix=True),))
        colon = ValueSet("colon", codes=(CodeEntry("icd10cm", "C18", prefix=True),))
        union = compile_valueset(ValueSet("listed", include=("lung", "colon")), {"lung": lung, "colon": colon})
        icd = SYSTEMS["icd10cm"]

        assert union.matches(Coding("C18.7", icd))
        assert union.matches(Coding("254637007", SCT))
        assert (None, "") == (compile_valueset(lung, {}).assess([Coding("C18.7", icd)]).entry,
                              compile_valueset(lung, {}).assess([Coding("C18.7", icd)]).cannot_judge)
