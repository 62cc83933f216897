"""
The limits that keep work on hostile input bounded (README "Reliability").

Each limit is a documented promise: input beyond it is an error that names the
input, never a crash, a hang or unbounded memory. The figures are generous for
real data: FHIR resources nest about a dozen levels deep, rule files a few dozen.
"""

from __future__ import annotations

import datetime as dt

#: Deepest JSON nesting (objects and arrays) in a native patient record, whose
#: values reach the output whole. FHIR input is bounded by the parser itself
#: (about 1,000 levels, an error beyond) and read along fields of fixed depth.
JSON_MAX_DEPTH = 100

#: An integer literal with more digits than this is read as a float (infinite
#: when it overflows), which the engine reports as a value it cannot judge.
#: Python refuses to parse integers over 4,300 digits; no measurement has 300.
JSON_MAX_INT_DIGITS = 300

#: Longest piece of an input value echoed in a message (characters).
ECHO_CHARS = 200

#: Longest message text (characters): a backstop behind ECHO_CHARS.
MESSAGE_CHARS = 1000

#: Largest rule file read (bytes).
RULE_FILE_MAX_BYTES = 4 * 1024 * 1024

#: Deepest YAML nesting in a rule file (mappings and sequences).
YAML_MAX_DEPTH = 64

#: Most YAML nodes a rule file may expand to, aliases included (an alias bomb
#: of a few hundred bytes otherwise expands to gigabytes).
YAML_MAX_NODES = 100_000

#: Most digits of a number in a rule file.
RULE_MAX_NUMBER_DIGITS = 30

#: Longest time window a rule may state (days): 200 years.
MAX_WINDOW_DAYS = 200 * 366

#: Screening dates (``--as-of``) accepted: date arithmetic on windows of up to
#: MAX_WINDOW_DAYS must stay inside the calendar Python can represent.
AS_OF_MIN = dt.date(1800, 1, 1)
AS_OF_MAX = dt.date(9000, 12, 31)
