"""
FHIR R4 status values, in one place: which statuses mean a record describes
something that did not happen (or is not a finding), and which mean it still goes on.

The FHIR reader drops records by these sets (per resource type); the evaluator and
plugin functions skip native records by the per-kind unions below, so a record
reads the same whichever way it came in. Codes are the R4 (4.0.1) required value
sets, each cited where it is used; the project's own choices say why.
"""

from __future__ import annotations

# -- results ----------------------------------------------------------------

#: Observation.status (http://hl7.org/fhir/R4/valueset-observation-status.html): no usable
#: result. ``preliminary`` too: a result that may still change is not screened on
#: (CONTRACT.md section 5).
OBSERVATION_UNUSABLE = frozenset({"entered-in-error", "cancelled", "preliminary"})

#: DiagnosticReport.status (http://hl7.org/fhir/R4/valueset-diagnostic-report-status.html):
#: a report that dates nothing.
REPORT_UNUSABLE = frozenset({"entered-in-error", "cancelled"})

#: QuestionnaireResponse.status (http://hl7.org/fhir/R4/valueset-questionnaire-answers-status.html):
#: the only answers that attest anything (``in-progress`` and ``stopped`` are unfinished).
QUESTIONNAIRE_FINISHED = frozenset({"completed", "amended"})

# -- diagnoses and allergies ------------------------------------------------

#: Condition.verificationStatus (http://hl7.org/fhir/R4/valueset-condition-ver-status.html)
#: and AllergyIntolerance.verificationStatus
#: (http://hl7.org/fhir/R4/valueset-allergyintolerance-verification.html): not present.
VERIFICATION_NOT_PRESENT = frozenset({"refuted", "entered-in-error"})

#: The same value sets: neither present nor absent (CONTRACT.md section 5: ``unknown``).
VERIFICATION_UNCONFIRMED = frozenset({"provisional", "differential", "unconfirmed"})

#: Condition.clinicalStatus (http://hl7.org/fhir/R4/valueset-condition-clinical.html):
#: the condition is present now.
CLINICAL_ACTIVE = frozenset({"active", "recurrence", "relapse"})

#: The same value set: the condition came back after a remission.
CLINICAL_RECURRED = frozenset({"recurrence", "relapse"})

# -- medications, procedures, immunizations ---------------------------------

#: Per medication resource type, the statuses under which the drug was not taken / given /
#: handed over: MedicationStatement (valueset-medication-statement-status), MedicationRequest
#: (valueset-medicationrequest-status: a draft was never ordered, a cancelled order never
#: given), MedicationAdministration (valueset-medication-admin-status), MedicationDispense
#: (valueset-medicationdispense-status: a cancelled or declined dispense never reached the
#: patient); all under http://hl7.org/fhir/R4/. ``cancelled`` is not an R4 MedicationStatement
#: code; a feed that sends it anyway is read as the other medication resources read it.
MEDICATION_NOT_TAKEN_BY_RESOURCE = {
    "MedicationStatement": frozenset({"entered-in-error", "not-taken", "cancelled"}),
    "MedicationAdministration": frozenset({"entered-in-error", "not-done"}),
    "MedicationRequest": frozenset({"entered-in-error", "cancelled", "draft"}),
    "MedicationDispense": frozenset({"entered-in-error", "cancelled", "declined"}),
}

#: A native medication record names no resource type: any of the statuses above.
MEDICATION_NOT_TAKEN = frozenset().union(*MEDICATION_NOT_TAKEN_BY_RESOURCE.values())

#: Procedure.status (http://hl7.org/fhir/R4/valueset-event-status.html): not performed
#: (``preparation``: planned, not yet done).
PROCEDURE_NOT_DONE = frozenset({"entered-in-error", "not-done", "preparation"})

#: Immunization.status (http://hl7.org/fhir/R4/valueset-immunization-status.html): not given.
IMMUNIZATION_NOT_DONE = frozenset({"entered-in-error", "not-done"})

#: What a record search skips, by the kind of record it searches.
NOT_HAPPENED = {
    "condition": VERIFICATION_NOT_PRESENT,
    "allergy": VERIFICATION_NOT_PRESENT,
    "medication": MEDICATION_NOT_TAKEN,
    "procedure": PROCEDURE_NOT_DONE,
    "immunization": IMMUNIZATION_NOT_DONE,
}

# -- still going on ---------------------------------------------------------

#: Statuses under which a condition or medication with no end date still applies on the
#: as-of date: Condition.clinicalStatus ``active``/``recurrence``/``relapse``;
#: MedicationStatement ``active``/``intended``/``on-hold``; MedicationAdministration
#: ``in-progress``/``on-hold``; MedicationRequest ``active``/``on-hold``.
ONGOING = frozenset({"active", "in-progress", "on-hold", "intended"}) | CLINICAL_ACTIVE
