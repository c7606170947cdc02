"""Answers that several test modules walk through, so they stay one person each."""

from __future__ import annotations

# A first-year MPharm student at LJMU, in question order as the checker puts answers in
# its URLs: the near-peer scheme's mentee.
PHARMACY_STUDENT = {
    "role": "mentee",
    "profession": "pharmacist",
    "stage": "student",
    "level": "4",
    "member_of": "none",
    "region": "north-west",
    "institution": "ljmu",
    "programme": "mpharm",
    "research_stage": "new-to-research",
}

# "What kind of mentoring suits me?": a student who wants peers and small groups.
MENTORING_FIT = {
    "looking_for": "same-stage",
    "how_you_learn": "small-group",
    "what_you_know": "not-sure",
    "student": "yes",
    "focused_support": "no",
}
