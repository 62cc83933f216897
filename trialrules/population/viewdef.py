"""
SQL-on-FHIR v2 ViewDefinitions compiled to DuckDB SQL over FHIR JSON.

A ViewDefinition (https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/) names a resource
type and the columns of a flat table, each a FHIRPath expression; ``forEach`` /
``forEachOrNull`` make a row per element of a collection, ``where`` keeps some
resources. :func:`view_sql` turns one into a ``SELECT`` over a relation with one
JSON column ``json`` (one resource a row, e.g. ``read_ndjson_objects``), so DuckDB's
own JSON reader does the flattening, in parallel and in bounded memory.

The FHIRPath understood is the subset the views in ``views/`` use, checked when a
view is compiled (anything else is a :class:`ViewError`, never a silently wrong
column):

* member access (``code.coding.system``) with FHIRPath's flattening of collections;
  which elements are arrays comes from FHIR R4's cardinalities (``ARRAY_ELEMENTS``),
  as FHIR JSON always writes a 0..* element as an array;
* choice types through ``ofType``: ``value.ofType(Quantity)`` is ``valueQuantity``;
  ``ofType(Medication)`` on resources keeps those of that type;
* ``first()``, ``exists()``, ``empty()``, ``where(...)``, ``join(sep)``,
  ``getResourceKey()``, ``getReferenceKey([Type])``;
* ``=``, ``!=``, ``and``, ``or``, ``|`` (the alternatives of a choice element, of
  which FHIR allows one), string/boolean/number literals, ``%constants`` of the
  view and ``%rowIndex`` (0-based position in the enclosing ``forEach``).

A value is typed as its column says: a JSON string for string-like types (dates
stay their ISO text, partial dates included), a JSON number for ``decimal`` and
``integer``, a JSON boolean for ``boolean``; a value of another JSON type is NULL,
as the per-patient reader does not use it either (it warns; the view only flattens).
A column without ``collection: true`` whose path can yield several values must say
which one (``first()``): checked when compiling.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from attrs import frozen

from trialrules.errors import TrialRulesError


class ViewError(TrialRulesError):
    """A ViewDefinition this compiler does not understand (a bug in a view file)."""


#: FHIR R4 elements of cardinality 0..* among the resources and data types the views read
#: (https://hl7.org/fhir/R4/, each resource's and data type's element table).
ARRAY_ELEMENTS = frozenset({
    "address", "answer", "appliesTo", "basedOn", "bodySite", "category", "coding", "component",
    "contained", "derivedFrom", "dosage", "dosageInstruction", "extension", "given", "hasMember",
    "identifier", "ingredient", "interpretation", "item", "manifestation", "name", "note", "partOf",
    "performer", "protocolApplied", "reaction", "reasonCode", "reasonReference", "referenceRange",
    "result", "stage", "statusReason", "telecom",
})
#: Resource types ``ofType`` filters by (any other type name is a choice type's suffix).
RESOURCE_TYPES = frozenset({
    "AllergyIntolerance", "Condition", "DiagnosticReport", "Immunization", "Medication",
    "MedicationAdministration", "MedicationDispense", "MedicationRequest", "MedicationStatement",
    "Observation", "Patient", "Procedure", "QuestionnaireResponse",
})
_STRING_TYPES = frozenset({
    "string", "code", "id", "uri", "url", "canonical", "oid", "uuid", "markdown", "base64Binary",
    "date", "dateTime", "instant", "time",
})
_NUMBER_TYPES = {"decimal": "DOUBLE", "integer": "BIGINT", "positiveInt": "BIGINT", "unsignedInt": "BIGINT",
                 "integer64": "BIGINT"}


# -- FHIRPath subset: parser -------------------------------------------------

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<op>!=|=|\||\.|\(|\)|,)
    | (?P<var>%[A-Za-z_][A-Za-z0-9_]*)
    | (?P<name>`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)
    )""", re.VERBOSE)


@frozen
class Literal:
    value: str | bool | float


@frozen
class Var:
    name: str


@frozen
class Step:
    """A member (``args`` None) or a function call on the value before it."""

    name: str
    args: tuple[Any, ...] | None = None


@frozen
class Path:
    start: Literal | Var | None  # None: the current context ($this)
    steps: tuple[Step, ...]


@frozen
class Binary:
    op: str  # "=", "!=", "and", "or", "|"
    left: Any
    right: Any


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise ViewError(f"FHIRPath {text!r}: cannot read from {text[pos:]!r}")
        kind = m.lastgroup
        assert kind is not None
        value = m.group(kind)
        if kind == "name" and value in ("and", "or", "true", "false"):
            kind = "op" if value in ("and", "or") else "bool"
        out.append((kind, value))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise ViewError(f"FHIRPath {self.text!r}: expected {value or 'more'} at token {self.pos + 1}")
        self.pos += 1
        return tok

    def parse(self) -> Any:
        expr = self.expr()
        if self.peek() is not None:
            raise ViewError(f"FHIRPath {self.text!r}: unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return expr

    def expr(self) -> Any:
        left = self.conjunction()
        while self.peek() == ("op", "or"):
            self.take()
            left = Binary("or", left, self.conjunction())
        return left

    def conjunction(self) -> Any:
        left = self.comparison()
        while self.peek() == ("op", "and"):
            self.take()
            left = Binary("and", left, self.comparison())
        return left

    def comparison(self) -> Any:
        left = self.union()
        tok = self.peek()
        if tok is not None and tok[1] in ("=", "!="):
            self.take()
            return Binary(tok[1], left, self.union())
        return left

    def union(self) -> Any:
        left = self.path()
        while self.peek() == ("op", "|"):
            self.take()
            left = Binary("|", left, self.path())
        return left

    def path(self) -> Any:
        tok = self.peek()
        start: Literal | Var | None = None
        steps: list[Step] = []
        if tok is None:
            raise ViewError(f"FHIRPath {self.text!r}: ends too early")
        if tok[1] == "(":
            self.take()
            inner = self.expr()
            self.take(")")
            if self.peek() == ("op", "."):
                raise ViewError(f"FHIRPath {self.text!r}: a path after parentheses is not supported")
            return inner
        if tok[0] == "string":
            self.take()
            start = Literal(re.sub(r"\\(.)", r"\1", tok[1][1:-1]))
        elif tok[0] == "number":
            self.take()
            start = Literal(float(tok[1]))
        elif tok[0] == "bool":
            self.take()
            start = Literal(tok[1] == "true")
        elif tok[0] == "var":
            self.take()
            start = Var(tok[1][1:])
        else:
            steps.append(self.step())
        while self.peek() == ("op", "."):
            self.take()
            steps.append(self.step())
        return Path(start, tuple(steps))

    def step(self) -> Step:
        kind, name = self.take()
        if kind != "name":
            raise ViewError(f"FHIRPath {self.text!r}: expected a name, found {name!r}")
        name = name.strip("`")
        if self.peek() != ("op", "("):
            return Step(name)
        self.take("(")
        args: list[Any] = []
        if self.peek() != ("op", ")"):
            args.append(self.expr())
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.expr())
        self.take(")")
        return Step(name, tuple(args))


def parse(text: str) -> Any:
    """The syntax tree of a FHIRPath expression of the supported subset."""
    return _Parser(text).parse()


# -- compiling to DuckDB SQL ----------------------------------------------------

@frozen
class _Value:
    """A compiled expression: ``sql`` is JSON (``kind`` "json"), VARCHAR ("text") or
    BOOLEAN ("bool"); ``many``: a LIST of those, else one value (or NULL)."""

    sql: str
    kind: str
    many: bool


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _key(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ViewError(f"FHIRPath member {name!r} is not a FHIR element name")
    return name


#: DuckDB macros the compiled SQL calls (:func:`install_macros`). ``fhir_reference_key`` reads a
#: reference string as trialrules.inputs.fhir.references.type_and_id does: no urn:/contained
#: references, the query and empty segments dropped, a version suffix dropped, a capitalised type.
MACROS = (
    "CREATE OR REPLACE MACRO fhir_string(j) AS CASE WHEN json_type(j) = 'VARCHAR' THEN j ->> '$' END",
    "CREATE OR REPLACE MACRO fhir_ref_segments(ref) AS "
    "list_filter(string_split(split_part(ref, '?', 1), '/'), lambda p: p <> '')",
    "CREATE OR REPLACE MACRO fhir_ref_unversioned(s) AS "
    "CASE WHEN len(s) >= 4 AND s[-2] = '_history' THEN s[:-3] ELSE s END",
    "CREATE OR REPLACE MACRO fhir_ref_key(s, want) AS CASE WHEN len(s) >= 2 "
    "AND regexp_matches(s[-2], '^\\p{Lu}') AND (want IS NULL OR s[-2] = want) THEN s[-1] END",
    "CREATE OR REPLACE MACRO fhir_reference_key(ref, want) AS CASE WHEN starts_with(ref, 'urn:uuid:') "
    "OR starts_with(ref, 'urn:oid:') OR starts_with(ref, '#') THEN NULL "
    "ELSE fhir_ref_key(fhir_ref_unversioned(fhir_ref_segments(ref)), want) END",
)


def install_macros(con: Any) -> None:
    """Define the macros compiled views call on a DuckDB connection."""
    for sql in MACROS:
        con.execute(sql)


def reference_key_sql(ref: str, rtype: str | None) -> str:
    """SQL: the id a reference string (``ref``, VARCHAR) points to, if it is a RESTful
    reference (to ``rtype`` when given); else NULL."""
    return f"fhir_reference_key({ref}, {'NULL' if rtype is None else _quote(rtype)})"


_ROOT = "r.json"


class _Compiler:
    def __init__(self, constants: dict[str, Literal], text: str, roots: dict[str, int]) -> None:
        self.constants = constants
        self.roots = roots  # the resource's top-level members, extracted once a row (see view_sql)
        self.source = text
        self.depth = 0

    def fail(self, why: str) -> ViewError:
        return ViewError(f"FHIRPath {self.source!r}: {why}")

    def lam(self) -> str:
        self.depth += 1
        return f"x{self.depth}"

    # each returns a _Value in the context ``this`` (a JSON SQL expression, one value)
    def compile(self, node: Any, this: str, index: str | None) -> _Value:
        if isinstance(node, Binary):
            return self.binary(node, this, index)
        assert isinstance(node, Path)
        value: _Value
        if node.start is None:
            value = _Value(this, "json", False)
        elif isinstance(node.start, Literal):
            value = self.literal(node.start)
        elif node.start.name == "rowIndex":
            if index is None:
                raise self.fail("%rowIndex outside a forEach")
            value = _Value(f"CAST({index} AS JSON)", "json", False)
        elif node.start.name in self.constants:
            value = self.literal(self.constants[node.start.name])
        else:
            raise self.fail(f"unknown %{node.start.name}")
        steps = list(node.steps)
        i = 0
        while i < len(steps):
            step = steps[i]
            after = steps[i + 1] if i + 1 < len(steps) else None
            if step.args is None and after is not None and after.name == "ofType" and after.args \
                    and _type_name(after.args[0]) not in RESOURCE_TYPES:
                t = _type_name(after.args[0])
                value = self.member(value, step.name + t[0].upper() + t[1:])
                i += 2
                continue
            value = self.member(value, step.name) if step.args is None else self.call(value, step, index)
            i += 1
        return value

    def literal(self, lit: Literal) -> _Value:
        if isinstance(lit.value, bool):
            return _Value("true" if lit.value else "false", "bool", False)
        if isinstance(lit.value, float):
            return _Value(f"CAST({lit.value!r} AS JSON)", "json", False)
        return _Value(_quote(lit.value), "text", False)

    def member(self, value: _Value, name: str) -> _Value:
        if value.kind != "json":
            raise self.fail(f"{name} of a {value.kind} value")
        key = _key(name)
        array = key in ARRAY_ELEMENTS
        if value.sql == _ROOT and not value.many:
            # each resource's JSON text is parsed once: every top-level member is an item of r.top
            item = f"r.top[{self.roots.setdefault(key, len(self.roots) + 1)}]"
            return _Value(f"json_extract({item}, '$[*]')" if array else item, "json", array)
        path = f"'$.\"{key}\"[*]'" if array else f"'$.\"{key}\"'"
        if not value.many:
            return _Value(f"json_extract({value.sql}, {path})", "json", array)
        x = self.lam()
        if array:
            return _Value(f"flatten(list_transform({value.sql}, lambda {x}: json_extract({x}, {path})))", "json", True)
        return _Value(f"list_filter(list_transform({value.sql}, lambda {x}: json_extract({x}, {path})), "
                      f"lambda {x}: {x} IS NOT NULL)", "json", True)

    def call(self, value: _Value, step: Step, index: str | None) -> _Value:
        args = step.args or ()
        name = step.name
        if name == "first" and not args:
            return _Value(f"({value.sql})[1]", value.kind, False) if value.many else value
        if name in ("exists", "empty"):
            if args:
                value = self.where(value, args[0], index)
            test = f"(len(coalesce({value.sql}, [])) > 0)" if value.many else f"({value.sql} IS NOT NULL)"
            return _Value(test if name == "exists" else f"(NOT {test})", "bool", False)
        if name == "where" and len(args) == 1:
            return self.where(value, args[0], index)
        if name == "ofType" and len(args) == 1:
            t = _type_name(args[0])
            return self.where(value, Binary("=", Path(None, (Step("resourceType"),)), Path(Literal(t), ())), index)
        if name == "getResourceKey" and not args:
            return self.text(self.member(value, "id"))
        if name == "getReferenceKey" and len(args) <= 1:
            rtype = _type_name(args[0]) if args else None
            ref = self.text(self.member(value, "reference"))
            if ref.many:
                x = self.lam()
                return _Value(f"list_filter(list_transform({ref.sql}, lambda {x}: {reference_key_sql(x, rtype)}), "
                              f"lambda {x}: {x} IS NOT NULL)", "text", True)
            return _Value(reference_key_sql(ref.sql, rtype), "text", False)
        if name == "join" and len(args) <= 1:
            sep = args[0].start.value if args and isinstance(args[0], Path) and isinstance(args[0].start, Literal) \
                else ""
            text = self.text(value)
            if not text.many:
                return text
            return _Value(f"nullif(array_to_string({text.sql}, {_quote(str(sep))}), '')", "text", False)
        raise self.fail(f"the function {name}() with {len(args)} argument(s) is not supported")

    def where(self, value: _Value, cond: Any, index: str | None) -> _Value:
        if value.kind != "json":
            raise self.fail("where() of a computed value")
        if value.many:
            x = self.lam()
            test = self.boolean(self.compile(cond, x, index))
            return _Value(f"list_filter({value.sql}, lambda {x}: coalesce({test}, false))", "json", True)
        inner = self.boolean(self.compile(cond, f"({value.sql})", index))
        return _Value(f"(CASE WHEN {inner} THEN {value.sql} END)", "json", False)

    def boolean(self, value: _Value) -> str:
        if value.many:
            raise self.fail("a condition on a collection (use exists() or first())")
        if value.kind == "bool":
            return value.sql
        if value.kind == "json":
            return f"(CASE WHEN json_type({value.sql}) = 'BOOLEAN' THEN CAST({value.sql} AS BOOLEAN) END)"
        raise self.fail("a text value used as a condition")

    def text(self, value: _Value) -> _Value:
        """JSON strings as VARCHAR (other JSON types: NULL)."""
        if value.kind == "text":
            return value
        if value.kind == "bool":
            return _Value(f"CAST({value.sql} AS VARCHAR)", "text", value.many)
        if value.many:
            x = self.lam()
            return _Value(f"list_filter(list_transform({value.sql}, lambda {x}: fhir_string({x})), "
                          f"lambda {x}: {x} IS NOT NULL)", "text", True)
        return _Value(f"fhir_string({value.sql})", "text", False)

    def binary(self, node: Binary, this: str, index: str | None) -> _Value:
        if node.op in ("and", "or"):
            a = self.boolean(self.compile(node.left, this, index))
            b = self.boolean(self.compile(node.right, this, index))
            return _Value(f"({a} {node.op.upper()} {b})", "bool", False)
        left, right = self.compile(node.left, this, index), self.compile(node.right, this, index)
        if node.op == "|":
            if left.kind != right.kind:
                raise self.fail("| of values of different kinds")
            if left.many or right.many:
                return _Value(f"list_concat({self.listed(left)}, {self.listed(right)})", left.kind, True)
            return _Value(f"coalesce({left.sql}, {right.sql})", left.kind, False)
        if left.many or right.many:
            raise self.fail(f"{node.op} of a collection (use first())")
        sql = {"=": "=", "!=": "<>"}[node.op]
        if "bool" in (left.kind, right.kind):
            return _Value(f"({self.boolean(left)} {sql} {self.boolean(right)})", "bool", False)
        if left.kind == "json" and right.kind == "json":  # a number literal: compare as numbers
            return _Value(f"(TRY_CAST({left.sql} AS DOUBLE) {sql} TRY_CAST({right.sql} AS DOUBLE))", "bool", False)
        return _Value(f"({self.text(left).sql} {sql} {self.text(right).sql})", "bool", False)

    def listed(self, value: _Value) -> str:
        return value.sql if value.many else f"(CASE WHEN {value.sql} IS NULL THEN [] ELSE [{value.sql}] END)"


def _type_name(node: Any) -> str:
    if isinstance(node, Path) and node.start is None and len(node.steps) == 1 and node.steps[0].args is None:
        return node.steps[0].name
    raise ViewError("ofType()/getReferenceKey() take a type name")


def _constants(view: dict[str, Any]) -> dict[str, Literal]:
    out: dict[str, Literal] = {}
    for c in view.get("constant", ()):
        values = [(k, v) for k, v in c.items() if k.startswith("value")]
        if len(values) != 1 or not isinstance(values[0][1], (str, bool, int, float)):
            raise ViewError(f"constant {c.get('name')!r}: one value[x] of a primitive type expected")
        v = values[0][1]
        out[c["name"]] = Literal(float(v) if isinstance(v, int) and not isinstance(v, bool) else v)
    return out


def _typed(compiler: _Compiler, value: _Value, column: dict[str, Any]) -> str:
    """The column's SQL value in its FHIR type."""
    ftype = column.get("type", "string")
    collection = bool(column.get("collection"))
    if value.many and not collection:
        raise compiler.fail(f"column {column['name']!r} can hold several values: add first() or collection: true")
    if value.kind == "bool":
        if ftype != "boolean":
            raise compiler.fail(f"column {column['name']!r} is a condition: its type is boolean")
        return value.sql
    if ftype in _STRING_TYPES:
        return compiler.text(value).sql
    if value.kind == "text":
        raise compiler.fail(f"column {column['name']!r} of type {ftype} computes text")
    if ftype == "boolean":
        one = "CASE WHEN json_type({v}) = 'BOOLEAN' THEN CAST({v} AS BOOLEAN) END"
    elif ftype in _NUMBER_TYPES:
        kinds = "('BIGINT', 'UBIGINT', 'DOUBLE')" if ftype == "decimal" else "('BIGINT', 'UBIGINT')"
        one = f"CASE WHEN json_type({{v}}) IN {kinds} THEN TRY_CAST({{v}} AS {_NUMBER_TYPES[ftype]}) END"
    else:
        raise compiler.fail(f"column {column['name']!r}: type {ftype!r} is not supported")
    if value.many:
        x = compiler.lam()
        return f"list_transform({value.sql}, lambda {x}: {one.format(v=x)})"
    return one.format(v=value.sql)


@frozen
class Column:
    name: str
    type: str
    collection: bool


def columns(view: dict[str, Any]) -> list[Column]:
    """The view's columns in table order (a select's columns, then its nested selects')."""
    out: list[Column] = []

    def walk(select: dict[str, Any]) -> None:
        for c in select.get("column", ()):
            out.append(Column(c["name"], c.get("type", "string"), bool(c.get("collection"))))
        for inner in select.get("select", ()):
            walk(inner)

    for s in view.get("select", ()):
        walk(s)
    return out


def foreach_count(view: dict[str, Any]) -> int:
    """How many ``forEach``/``forEachOrNull`` the view has (the ``_each_N`` columns of :func:`view_sql`)."""
    def count(select: dict[str, Any]) -> int:
        own = 1 if select.get("forEach") or select.get("forEachOrNull") else 0
        return own + sum(count(s) for s in select.get("select", ()))

    return sum(count(s) for s in view.get("select", ()))


def top_sql(roots: dict[str, int]) -> str:
    """SQL (over a column ``json``) of the list of top-level members ``roots`` numbers:
    one parse of each resource's JSON text, whatever the number of columns."""
    paths = ", ".join("'$.\"" + key + "\"'" for key in roots)
    return f"json_extract(json, [{paths}])"


def view_sql(view: dict[str, Any], source: str, carry: tuple[str, ...] = (),
             roots: dict[str, int] | None = None) -> str:
    """DuckDB SQL selecting the view's rows from ``source``, a relation with a JSON column
    ``json`` holding one resource a row (other resource types are left out).

    ``carry``: columns of ``source`` passed through before the view's own; when given, the
    position of each row in each ``forEach`` follows them as ``_each_1``, ``_each_2``...
    (0-based), so a caller can keep the resources' own order.

    ``roots``: top-level members numbered across several views (filled in here); when
    given, ``source`` has the column ``top`` (:func:`top_sql` of the final ``roots``)
    instead of ``json``, so many views share one parse of each resource."""
    resource = view.get("resource")
    if not isinstance(resource, str) or resource not in RESOURCE_TYPES:
        raise ViewError(f"view {view.get('name')!r}: resource {resource!r} is not one the views read")
    constants = _constants(view)
    select_list: list[str] = []
    joins: list[str] = []
    counter = iter(range(1, 1000))

    shared = roots is not None
    roots = {} if roots is None else roots

    def compiler(text: str) -> _Compiler:
        return _Compiler(constants, text, roots)

    def walk(select: dict[str, Any], this: str, index: str | None) -> None:
        if "unionAll" in select:
            raise ViewError(f"view {view.get('name')!r}: unionAll is not supported")
        each = select.get("forEach") or select.get("forEachOrNull")
        if each:
            comp = compiler(each)
            items = comp.compile(parse(each), this, index)
            if items.kind != "json":
                raise comp.fail("forEach over computed values")
            listed = comp.listed(items)
            positions = f"range(len({listed}))"
            if "forEachOrNull" in select:  # no element: one row of NULLs (its %rowIndex NULL too)
                positions = f"(CASE WHEN len(coalesce({listed}, [])) > 0 THEN {positions} ELSE [NULL::BIGINT] END)"
                listed = f"(CASE WHEN len(coalesce({listed}, [])) > 0 THEN {listed} ELSE [NULL::JSON] END)"
            n = next(counter)
            if carry:
                select_list.append(f"f{n}.i{n} AS _each_{n}")
            joins.append(f"CROSS JOIN LATERAL (SELECT unnest({listed}) AS e{n}, "
                         f"unnest({positions}) AS i{n}) AS f{n}")
            this, index = f"f{n}.e{n}", f"f{n}.i{n}"
        for column in select.get("column", ()):
            comp = compiler(column["path"])
            value = comp.compile(parse(column["path"]), this, index)
            name = column["name"]
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                raise ViewError(f"view {view.get('name')!r}: column name {name!r} is not snake_case")
            select_list.append(f"{_typed(comp, value, column)} AS {name}")
        for inner in select.get("select", ()):
            walk(inner, this, index)

    select_list.extend(f"r.{c} AS {c}" for c in carry)
    for select in view.get("select", ()):
        walk(select, _ROOT, None)
    names = [c.name for c in columns(view)]
    if len(set(names)) != len(names):
        raise ViewError(f"view {view.get('name')!r}: a column name is used twice")
    kind = compiler("resourceType").compile(parse("resourceType"), _ROOT, None).sql
    conditions = [f"fhir_string({kind}) = {_quote(resource)}"]
    for w in view.get("where", ()):
        comp = compiler(w["path"])
        conditions.append(f"coalesce({comp.boolean(comp.compile(parse(w['path']), _ROOT, None))}, false)")
    top = "top" if shared else f"{top_sql(roots)} AS top"
    return (f"SELECT {', '.join(select_list)}\n"
            f"FROM (SELECT {''.join(c + ', ' for c in carry)}{top} FROM {source}) AS r\n"
            + "".join(j + "\n" for j in joins) + "WHERE " + " AND ".join(conditions))


def walk_paths(view: dict[str, Any]) -> Iterator[str]:
    """Every FHIRPath expression of a view (for checks)."""
    def walk(select: dict[str, Any]) -> Iterator[str]:
        for key in ("forEach", "forEachOrNull"):
            if key in select:
                yield select[key]
        for c in select.get("column", ()):
            yield c["path"]
        for inner in select.get("select", ()):
            yield from walk(inner)

    for s in view.get("select", ()):
        yield from walk(s)
    for w in view.get("where", ()):
        yield w["path"]
