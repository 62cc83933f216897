"""
Inputs: patient records from FHIR R4 (a Bundle, a Bulk export) and the native
JSON record, turned into ``trialrules.language.models.PatientRecord``.

May import: ``trialrules.language``, ``trialrules.errors``, ``trialrules.limits`` and
``trialrules.plugin`` (its hook marker). Never the engine, views or the CLI.
"""
