"""The three courses of the variants: categories, weights, drop rules, late policy and letter scales."""

from __future__ import annotations

from dataclasses import dataclass

PLUS_MINUS = ((0, "F"), (60, "D"), (70, "C-"), (73, "C"), (77, "C+"), (80, "B-"), (83, "B"), (87, "B+"),
              (90, "A-"), (93, "A"))
PLAIN = ((0, "F"), (60, "D"), (70, "C"), (80, "B"), (90, "A"))


@dataclass(frozen=True)
class Category:
    name: str
    weight: float
    drop_lowest: int
    items: tuple[str, ...]
    max_points: float
    excusable: bool = True


@dataclass(frozen=True)
class Course:
    code: str
    title: str
    categories: tuple[Category, ...]
    late_per_day: float  # percentage points of the item's maximum lost per day late
    late_cap: float
    extra_credit_cap: float
    at_risk_below: float
    letters: tuple[tuple[float, str], ...]
    rescaled_item: str  # the item one section's grader entered out of 100 instead of its maximum

    @property
    def items(self) -> list[str]:
        return [i for c in self.categories for i in c.items]


COURSES = {
    "stats_intro": Course(
        "STAT 1010", "Introductory Statistics",
        (Category("Homework", 0.25, 0, ("hw1", "hw2", "hw3", "hw4", "hw5"), 20),
         Category("Quizzes", 0.20, 2, ("q1", "q2", "q3", "q4", "q5", "q6"), 10),
         Category("Midterm", 0.25, 0, ("midterm",), 50, excusable=False),
         Category("Final exam", 0.30, 0, ("final_exam",), 100, excusable=False)),
        late_per_day=10, late_cap=30, extra_credit_cap=2, at_risk_below=70, letters=PLUS_MINUS, rescaled_item="q3"),
    "chem_lab": Course(
        "CHEM 1211L", "General Chemistry Laboratory",
        (Category("Lab reports", 0.40, 1, ("lab1", "lab2", "lab3", "lab4", "lab5", "lab6"), 25),
         Category("Prelab quizzes", 0.15, 1, ("pq1", "pq2", "pq3", "pq4"), 5),
         Category("Practical exams", 0.45, 0, ("practical1", "practical2"), 60, excusable=False)),
        late_per_day=5, late_cap=25, extra_credit_cap=3, at_risk_below=70, letters=PLAIN, rescaled_item="lab2"),
    "writing_seminar": Course(
        "ENGL 1102", "Writing about Literature",
        (Category("Essays", 0.50, 0, ("essay1", "essay2", "essay3", "essay4"), 100),
         Category("Reading quizzes", 0.20, 2, ("rq1", "rq2", "rq3", "rq4", "rq5", "rq6", "rq7", "rq8"), 10),
         Category("Participation", 0.30, 1, ("part1", "part2", "part3"), 30)),
        late_per_day=4, late_cap=12, extra_credit_cap=1.5, at_risk_below=73, letters=PLUS_MINUS, rescaled_item="part2"),
}
