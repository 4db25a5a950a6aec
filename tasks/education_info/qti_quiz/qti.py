"""The grader's reading of QTI 2.1: parsing an assessmentItem and running its responseProcessing.

``parse_item`` extracts what the grade needs (interaction kind, correct response, choices) and raises
QtiError on a structure outside the QTI 2.1 subset the task asks for; ``simulate`` runs the item's own
response rules on a candidate response and returns the SCORE and the modal feedback shown.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"


def norm_space(text: str) -> str:
    """Whitespace runs collapsed to one space, ends stripped (how item text is compared with the bank)."""
    return re.sub(r"\s+", " ", text or "").strip()


def _text(element: Any) -> str:
    return norm_space("".join(element.itertext()))


def q(tag: str) -> str:
    """A tag name in the QTI 2.1 namespace, as lxml spells it."""
    return f"{{{QTI}}}{tag}"


def _local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def parse_xml(data: bytes) -> tuple[Any, str]:
    """An lxml root or the parser's complaint (no DTDs, no network, no entity expansion)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser), ""
    except etree.XMLSyntaxError as exc:
        return None, str(exc)


class QtiError(Exception):
    """An item's XML is outside what the grader's QTI subset understands or is malformed."""


@dataclass
class ParsedItem:
    identifier: str
    kind: str  # choice | multiple_response | text_entry | order
    response_id: str
    cardinality: str
    base_type: str
    correct: list[str]
    choices: dict[str, str]  # identifier -> text
    body_text: str
    root: Any


def parse_item(root: Any) -> ParsedItem:
    """The parts of a QTI 2.1 assessmentItem the grade needs; QtiError on any structural problem."""
    if root.tag != q("assessmentItem"):
        raise QtiError(f"root element is {root.tag}, not a QTI 2.1 assessmentItem")
    missing = [a for a in ("identifier", "title", "adaptive", "timeDependent") if root.get(a) is None]
    if missing:
        raise QtiError(f"assessmentItem lacks attribute(s) {', '.join(missing)}")
    body = root.find(q("itemBody"))
    if body is None:
        raise QtiError("no itemBody")
    interactions = [e for e in body.iter() if _local(e) in
                    ("choiceInteraction", "textEntryInteraction", "orderInteraction")]
    others = [e for e in body.iter() if _local(e).endswith("Interaction") and e not in interactions]
    if len(interactions) != 1 or others:
        raise QtiError("the itemBody must hold exactly one choice, textEntry or order interaction")
    inter = interactions[0]
    rid = inter.get("responseIdentifier", "")
    decls = {d.get("identifier"): d for d in root.findall(q("responseDeclaration"))}
    decl = decls.get(rid)
    if decl is None:
        raise QtiError(f"no responseDeclaration for the interaction's responseIdentifier {rid!r}")
    score = [o for o in root.findall(q("outcomeDeclaration")) if o.get("identifier") == "SCORE"]
    if not score or score[0].get("baseType") not in ("float", "integer"):
        raise QtiError("no numeric SCORE outcomeDeclaration")
    if root.find(q("responseProcessing")) is None:
        raise QtiError("no responseProcessing")
    card, base = decl.get("cardinality", ""), decl.get("baseType", "")
    corr = decl.find(q("correctResponse"))
    correct = [norm_space(v.text or "") for v in corr.findall(q("value"))] if corr is not None else []
    if not correct:
        raise QtiError("the responseDeclaration has no correctResponse value")
    choices = {c.get("identifier", ""): _text(c) for c in inter.iter(q("simpleChoice"))}
    local = _local(inter)
    if local == "choiceInteraction":
        kind = "choice" if inter.get("maxChoices") == "1" and card == "single" else "multiple_response"
        ok = base == "identifier" and card in ("single", "multiple") and len(choices) >= 2
    elif local == "orderInteraction":
        kind, ok = "order", base == "identifier" and card == "ordered" and len(choices) >= 2
    else:
        kind, ok = "text_entry", base in ("string", "float", "integer") and card == "single"
    if not ok:
        raise QtiError(f"{local} with a {card}/{base} responseDeclaration is inconsistent")
    return ParsedItem(root.get("identifier", ""), kind, rid, card, base, correct, choices, _text(body), root)


# -- a small QTI 2.1 response-processing interpreter --------------------------------------------

Value = None | str | float | frozenset | tuple


class Interp:
    """Evaluates responseProcessing rules for one candidate response; outcome values in ``outcomes``."""

    def __init__(self, item: ParsedItem, response: Value) -> None:
        self.item = item
        self.response = response
        self.outcomes: dict[str, Value] = {}
        self.base: dict[str, str] = {}
        for decl in item.root.findall(q("outcomeDeclaration")):
            ident, base = decl.get("identifier", ""), decl.get("baseType", "")
            self.base[ident] = base
            default = decl.find(q("defaultValue"))
            values = [v.text or "" for v in default.findall(q("value"))] if default is not None else []
            self.outcomes[ident] = self._typed(values, decl.get("cardinality", "single"), base)
            if self.outcomes[ident] is None and base in ("float", "integer") and decl.get("cardinality") == "single":
                self.outcomes[ident] = 0.0

    @staticmethod
    def _typed(values: list[str], cardinality: str, base: str) -> Value:
        conv = [float(v) if base in ("float", "integer") else norm_space(v) for v in values]
        if not conv:
            return None
        if cardinality == "multiple":
            return frozenset(conv)
        if cardinality == "ordered":
            return tuple(conv)
        return conv[0]

    def run(self) -> None:
        rp = self.item.root.find(q("responseProcessing"))
        rules = [e for e in rp if isinstance(e.tag, str)]
        if not rules:
            raise QtiError("responseProcessing holds no rules (an external template is not accepted)")
        self._rules(rules)

    def _rules(self, rules: list[Any]) -> bool:
        """Run rules in order; False when exitResponse was hit."""
        for rule in rules:
            name = _local(rule)
            if name == "setOutcomeValue":
                self._set(rule.get("identifier", ""), self._expr(self._only_child(rule)))
            elif name == "responseCondition":
                if not self._condition(rule):
                    return False
            elif name == "exitResponse":
                return False
            elif name:
                raise QtiError(f"unsupported response rule <{name}>")
        return True

    def _condition(self, rule: Any) -> bool:
        for branch in rule:
            name = _local(branch)
            if not name:
                continue
            children = [c for c in branch if isinstance(c.tag, str)]
            if name in ("responseIf", "responseElseIf"):
                if not children:
                    raise QtiError(f"empty <{name}>")
                if self._expr(children[0]) is True:
                    return self._rules(children[1:])
            elif name == "responseElse":
                return self._rules(children)
            else:
                raise QtiError(f"unexpected <{name}> in responseCondition")
        return True

    def _set(self, ident: str, value: Value) -> None:
        if ident not in self.outcomes:
            raise QtiError(f"setOutcomeValue of undeclared outcome {ident!r}")
        numeric = self.base.get(ident) in ("float", "integer")
        if numeric and value is not None and not isinstance(value, float):
            raise QtiError(f"non-numeric value for {ident}")
        self.outcomes[ident] = value

    @staticmethod
    def _only_child(element: Any) -> Any:
        kids = [c for c in element if isinstance(c.tag, str)]
        if len(kids) != 1:
            raise QtiError(f"<{_local(element)}> needs exactly one expression")
        return kids[0]

    def _correct(self) -> Value:
        return self._typed(self.item.correct, self.item.cardinality, self.item.base_type)

    def _var(self, ident: str) -> Value:
        if ident == self.item.response_id:
            return self.response
        if ident in self.outcomes:
            return self.outcomes[ident]
        raise QtiError(f"unknown variable {ident!r}")

    @staticmethod
    def _match(a: Value, b: Value) -> bool | None:
        if a is None or b is None:
            return None
        return a == b

    def _map_response(self) -> float:
        decl = next(d for d in self.item.root.findall(q("responseDeclaration"))
                    if d.get("identifier") == self.item.response_id)
        mapping = decl.find(q("mapping"))
        if mapping is None:
            raise QtiError("mapResponse without a mapping")
        default = float(mapping.get("defaultValue", "0"))
        entries = {}
        for entry in mapping.findall(q("mapEntry")):
            key = norm_space(entry.get("mapKey", ""))
            sensitive = entry.get("caseSensitive", "true") != "false"
            entries[key if sensitive else key.casefold()] = (float(entry.get("mappedValue", "0")), sensitive)

        def mapped(value: str) -> float:
            if value in entries and entries[value][1]:
                return entries[value][0]
            low = value.casefold()
            if low in entries and not entries[low][1]:
                return entries[low][0]
            return default

        response = self.response
        if response is None:
            total = 0.0
        elif isinstance(response, str):
            total = mapped(response)
        else:
            total = sum(mapped(str(v)) for v in set(response))
        if mapping.get("lowerBound") is not None:
            total = max(total, float(mapping.get("lowerBound")))
        if mapping.get("upperBound") is not None:
            total = min(total, float(mapping.get("upperBound")))
        return total

    @staticmethod
    def _equal(e: Any, a: float, b: float) -> bool:
        """QTI 2.1 ``equal``: exact, or ``b`` within the absolute or relative tolerance (t0 below, t1 above) of ``a``."""
        mode = e.get("toleranceMode", "exact")
        if mode == "exact":
            return a == b
        if mode not in ("absolute", "relative"):
            raise QtiError(f"unsupported toleranceMode {mode!r}")
        tolerance = [float(t) for t in (e.get("tolerance") or "0").split()]
        below, above = tolerance[0], tolerance[-1]
        low, high = (a - below, a + above) if mode == "absolute" else (a * (1 - below / 100), a * (1 + above / 100))
        lower_ok = b >= low if e.get("includeLowerBound", "true") == "true" else b > low
        upper_ok = b <= high if e.get("includeUpperBound", "true") == "true" else b < high
        return lower_ok and upper_ok

    def _expr(self, e: Any) -> Any:
        name = _local(e)
        kids = [c for c in e if isinstance(c.tag, str)]
        if name == "variable":
            return self._var(e.get("identifier", ""))
        if name == "correct":
            return self._correct()
        if name == "baseValue":
            base = e.get("baseType", "")
            text = norm_space(e.text or "")
            if base in ("float", "integer"):
                return float(text)
            if base == "boolean":
                return text == "true"
            return text
        if name == "null":
            return None
        if name == "mapResponse":
            return self._map_response()
        if name == "isNull":
            value = self._expr(self._only_child(e))
            return value is None or value in ((), frozenset(), "")
        if name == "match":
            a, b = (self._expr(k) for k in kids)
            return self._match(a, b)
        if name == "stringMatch":
            a, b = (self._expr(k) for k in kids)
            if a is None or b is None:
                return None
            a, b = (str(a), str(b)) if e.get("caseSensitive") != "false" else (str(a).casefold(), str(b).casefold())
            return b in a if e.get("substring") == "true" else a == b  # substring: the first contains the second
        if name in ("and", "or"):
            values = [self._expr(k) for k in kids]
            if name == "and":
                return False if False in values else (None if None in values else True)
            return True if True in values else (None if None in values else False)
        if name == "not":
            value = self._expr(self._only_child(e))
            return None if value is None else not value
        if name in ("sum", "product", "subtract", "divide"):
            values = [self._expr(k) for k in kids]
            if any(v is None for v in values):
                return None
            nums = [float(v) for v in values]
            if name == "sum":
                return float(sum(nums))
            if name == "product":
                return float(math.prod(nums))
            if name == "subtract":
                return nums[0] - nums[1]
            return None if nums[1] == 0 else nums[0] / nums[1]
        if name in ("gt", "gte", "lt", "lte", "equal"):
            a, b = (self._expr(k) for k in kids)
            if a is None or b is None:
                return None
            a, b = float(a), float(b)
            if name == "equal":
                return self._equal(e, a, b)
            return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[name]
        if name in ("multiple", "ordered"):
            values = [self._expr(k) for k in kids]
            flat = [x for v in values if v is not None for x in (v if isinstance(v, (tuple, frozenset)) else [v])]
            return frozenset(flat) if name == "multiple" else tuple(flat)
        if name == "member":
            a, b = (self._expr(k) for k in kids)
            return None if a is None or b is None else a in b
        if name == "containerSize":
            value = self._expr(self._only_child(e))
            return 0.0 if value is None else float(len(value))
        raise QtiError(f"unsupported expression <{name}>")


def simulate(item: ParsedItem, response: Value) -> tuple[float | None, set[str]]:
    """The SCORE and the modal feedback texts shown after ``response``."""
    interp = Interp(item, response)
    interp.run()
    score = interp.outcomes.get("SCORE")
    shown = set()
    for fb in item.root.iter(q("modalFeedback")):
        value = interp.outcomes.get(fb.get("outcomeIdentifier", ""))
        ident = fb.get("identifier", "")
        hit = ident in value if isinstance(value, (frozenset, tuple)) else value == ident
        if hit == (fb.get("showHide", "show") == "show"):
            shown.add(_text(fb))
    return (score if isinstance(score, float) else None), shown
