"""The credit class from counted facts, by a configurable rule set (pure, no database).

A rule set is JSON::

    {"window_days": 730,
     "default": {"class": "A", "text": "..."},
     "rules": [{"id": "D-cma", "class": "D", "text": "...",
                "any": [{"fact": "cma_valid", "op": "==", "value": 0}]}, ...]}

Rules are tried in order; the first whose ``any`` list has a condition that holds gives the
class. If none holds, ``default`` does. Facts older than ``window_days`` are not counted.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "DEFAULT_RULES",
    "FACTS",
    "Classification",
    "RuleSet",
    "classify",
]

FACTS = {
    "cma_valid": "持有有效CMA资质 / holds a valid CMA certificate (1 or 0)",
    "pt_unsatisfactory": "能力验证不满意结果 / unsatisfactory PT results",
    "pt_questionable": "能力验证有问题结果 / questionable PT results",
    "findings_serious": "严重监督检查问题 / serious supervisory findings",
    "findings_major": "较重监督检查问题 / major supervisory findings",
    "findings_minor": "一般监督检查问题 / minor supervisory findings",
    "complaints_upheld": "成立或部分成立的投诉 / upheld or partly upheld complaints",
    "corrective_overdue": "逾期未关闭的整改 / corrective actions past due and not closed",
}

_OPS: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq,
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


class Condition(BaseModel):
    fact: Literal[
        "cma_valid",
        "pt_unsatisfactory",
        "pt_questionable",
        "findings_serious",
        "findings_major",
        "findings_minor",
        "complaints_upheld",
        "corrective_overdue",
    ]
    op: Literal["==", ">=", ">", "<=", "<"]
    value: float


class Rule(BaseModel):
    id: str = Field(min_length=1, max_length=40)
    credit_class: Literal["A", "B", "C", "D"] = Field(alias="class")
    text: str = Field(min_length=1, max_length=300)
    any: list[Condition] = Field(min_length=1)


class DefaultRule(BaseModel):
    credit_class: Literal["A", "B", "C", "D"] = Field(alias="class")
    text: str


class RuleSet(BaseModel):
    window_days: int = Field(ge=30, le=3650)
    default: DefaultRule
    rules: list[Rule]


DEFAULT_RULES: dict[str, Any] = {
    "window_days": 730,
    "default": {"class": "A", "text": "无不良记录 / no adverse facts in the window"},
    "rules": [
        {
            "id": "D-qualification",
            "class": "D",
            "text": "无有效CMA资质、严重问题或两次能力验证不满意 / no valid CMA, a serious "
            "finding, or two unsatisfactory PT results",
            "any": [
                {"fact": "cma_valid", "op": "==", "value": 0},
                {"fact": "findings_serious", "op": ">=", "value": 1},
                {"fact": "pt_unsatisfactory", "op": ">=", "value": 2},
            ],
        },
        {
            "id": "C-performance",
            "class": "C",
            "text": "能力验证不满意、较重问题、三起成立投诉或逾期整改 / an unsatisfactory PT "
            "result, a major finding, three upheld complaints or an overdue corrective action",
            "any": [
                {"fact": "pt_unsatisfactory", "op": ">=", "value": 1},
                {"fact": "findings_major", "op": ">=", "value": 1},
                {"fact": "complaints_upheld", "op": ">=", "value": 3},
                {"fact": "corrective_overdue", "op": ">=", "value": 1},
            ],
        },
        {
            "id": "B-attention",
            "class": "B",
            "text": "能力验证有问题、一般问题或成立投诉 / a questionable PT result, a minor "
            "finding or an upheld complaint",
            "any": [
                {"fact": "pt_questionable", "op": ">=", "value": 1},
                {"fact": "findings_minor", "op": ">=", "value": 1},
                {"fact": "complaints_upheld", "op": ">=", "value": 1},
            ],
        },
    ],
}


@dataclass(frozen=True)
class Classification:
    credit_class: str
    rule_id: str | None
    rule_text: str
    matched: list[dict[str, Any]]


def classify(rule_set: RuleSet, counts: Mapping[str, float]) -> Classification:
    for rule in rule_set.rules:
        matched = [
            {**c.model_dump(), "actual": counts.get(c.fact, 0)}
            for c in rule.any
            if _OPS[c.op](counts.get(c.fact, 0), c.value)
        ]
        if matched:
            return Classification(rule.credit_class, rule.id, rule.text, matched)
    return Classification(rule_set.default.credit_class, None, rule_set.default.text, [])
