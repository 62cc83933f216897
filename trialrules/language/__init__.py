"""
The rule language: what a trial plugin writes and how it is read.

Models of criteria, rules, value sets and arms (``models``), the safe YAML reader
(``safe_yaml``), JSON Schema checks (``schema``), loading and meaning checks
(``loader``, ``validate``), structuring and serialising models (``converters``), the registry of what plugins contribute (``registry``) and the trials loaded from it
(``installed``), the FHIR status value sets (``statuses``), "did you mean" (``suggest``),
terminology matching (``terminology``), UCUM units (``units``) and the qualitative
result vocabulary (``qualitative``).

May import: the standard library, attrs/cattrs/jsonschema/yaml, ``trialrules.errors``,
``trialrules.limits``, ``trialrules.calendar_arithmetic``, ``trialrules.plugin`` and
``trialrules.hookspecs``. Never the engine, inputs or views.
"""
